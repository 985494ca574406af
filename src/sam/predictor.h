// The predictor: one encoder + decoder pair, one image at a time, many prompts per image.
//
// SetImage() preprocesses the image as the family's official predictor does and runs the
// encoder once; Predict() turns a prompt into decoder inputs (per-family coordinate frame and
// point/box layout), runs the decoder through the adapter for its export contract, picks masks
// as the official predictor does, and upsamples them to the original image.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/image.h"
#include "runtime/session.h"
#include "sam/family.h"
#include "sam/postprocess.h"
#include "sam/prompts.h"

namespace samq::sam {

struct PredictorOptions {
  std::optional<Family> family;  // nullopt = detect from the encoder's signature
  int threads = 0;               // 0 = all cores
  // The encoder's MatMul precision (--precision bf16). The decoder always runs float32: its
  // products are small, and its logits decide mask borders.
  rt::ComputePrecision precision = rt::ComputePrecision::kFloat32;
};

struct PredictedMask {
  BinaryMask mask;       // original image size, 255 inside
  float score = 0;       // the decoder's IoU prediction
  int64_t token = 0;     // which decoder mask token it came from
  Tensor low_res;        // 1x1x256x256 logits (feed back as a mask input)
};

struct Prediction {
  std::vector<PredictedMask> masks;
  Tensor low_res_logits;  // 1xKx256x256: the selected masks' low-res logits, in order
  double decoder_ms = 0, postprocess_ms = 0;
};

// An encoder + decoder pair, loaded, checked to belong together, and compiled. Immutable after
// Load(): share one between predictors (one image at a time each; not concurrently).
class SamModel {
 public:
  static Result<std::shared_ptr<const SamModel>> Load(const std::filesystem::path& encoder,
                                                      const std::filesystem::path& decoder,
                                                      const PredictorOptions& options = {});
  ~SamModel();
  Family family() const;
  int64_t encoder_side() const;  // the encoder's square input size (1024, or 512)
  const rt::Session& encoder() const;
  const rt::Session& decoder() const;

 private:
  friend class Predictor;
  struct Impl;
  explicit SamModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class Predictor {
 public:
  explicit Predictor(std::shared_ptr<const SamModel> model);
  // Load() + a predictor, in one call.
  static Result<std::unique_ptr<Predictor>> Create(const std::filesystem::path& encoder,
                                                   const std::filesystem::path& decoder,
                                                   const PredictorOptions& options = {});
  ~Predictor();

  // Preprocesses and encodes the image; its features are kept for every Predict() call.
  Status SetImage(const io::Image& image);
  // Like SetImage, but the encoder does not run: `features` are its outputs as computed elsewhere
  // (another runtime running the same encoder file on encoder_input(), e.g. ONNX Runtime or
  // TensorRT). Every encoder output must be given, float32, with the shape the encoder declares.
  Status SetImageFeatures(const io::Image& image, std::map<std::string, Tensor> features);
  // Masks for one prompt (several boxes: one decoder call, and mask set, per box).
  Result<Prediction> Predict(const Prompt& prompt);

  Family family() const;
  bool has_image() const;
  int64_t image_height() const;
  int64_t image_width() const;
  double preprocess_ms() const;  // of the last SetImage
  double encoder_ms() const;
  // The encoder input the last SetImage computed (1x3xSxS), for parity tests.
  const Tensor& encoder_input() const;
  const std::map<std::string, Tensor>& features() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace samq::sam
