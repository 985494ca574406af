// Calibration workloads: the model runs, one per calibration sample, that the activation
// recorder watches. Every pass replays exactly the same runs (same images, same prompts).
//
//  * SAM encoders: each image preprocessed exactly as the family's predictor does it.
//  * SAM decoders: an encoder (--encoder) embeds each image once; the prompts are a grid of
//    foreground clicks, then for each click the box around the decoder's own best mask, with
//    that mask fed back as mask_input (so the dense-prompt path is calibrated too).
//  * Any other model (--random-calib only): seeded N(0, 1) float inputs, unknown dims set to 1.
#pragma once

#include <cstdint>
#include <memory>

#include "core/status.h"
#include "quant/calib/calib_images.h"
#include "runtime/session.h"
#include "sam/family.h"

namespace samq::quant {

class CalibWorkload {
 public:
  virtual ~CalibWorkload() = default;
  virtual int64_t size() const = 0;
  virtual Status Run(int64_t i) = 0;  // one session run (the session's tap records it)
};

Result<std::unique_ptr<CalibWorkload>> MakeEncoderWorkload(const rt::Session& encoder, const CalibImages& images,
                                                           sam::Family family);
Result<std::unique_ptr<CalibWorkload>> MakeRandomTensorWorkload(const rt::Session& model, int64_t count,
                                                                uint64_t seed);
// Runs the encoder and the prompt-finding decoder calls now (before any tap is attached).
Result<std::unique_ptr<CalibWorkload>> MakeDecoderWorkload(const rt::Session& decoder, const std::string& decoder_name,
                                                           const rt::Session& encoder, const CalibImages& images,
                                                           sam::Family family, int grid);

// The square side S of a 1x3xSxS encoder input; user error otherwise.
Result<int64_t> EncoderSide(const rt::Session& encoder, const std::string& name);

}  // namespace samq::quant
