// Image preprocessing and prompt coordinate transforms of each family's official predictor.
//
//  * SAM, MobileSAM (segment_anything SamPredictor): Pillow bilinear resize of the longest side to
//    S with the other side int(x·S/max(h,w) + 0.5), (rgb − mean) / std on 0..255 in float32,
//    zeros padded bottom/right to S x S (S = 1024).
//  * EfficientViT-SAM (EfficientViTSamPredictor): the same resize to S (512 for L0-L2), then
//    ToTensor (/255) and Normalize(mean/255, std/255) — float-for-float as torchvision does it —
//    then zero padding. Prompts and masks stay in the 1024 frame (input_size is computed for 1024).
//  * SAM 2 (SAM2Transforms): /255 in float32, torch bilinear antialiased resize to S x S (aspect not
//    kept), Normalize with ImageNet mean/std; prompts scaled by S/w, S/h in float32.
// Each fixture's manifest.json states the recipe; tests/unit/test_preprocess.cpp proves it.
#pragma once

#include <cstdint>
#include <utility>

#include "core/status.h"
#include "core/tensor.h"
#include "io/image.h"
#include "sam/family.h"

namespace samq::sam {

struct Preprocessed {
  Tensor image;                        // 1 x 3 x S x S float32: the encoder input
  int64_t orig_h = 0, orig_w = 0;      // the image as decoded (EXIF-upright)
  int64_t input_h = 0, input_w = 0;    // after the resize, before padding (encoder frame)
};

// ResizeLongestSide.get_preprocess_shape: (h, w) scaled so the longer side is `long_side`, each
// side rounded as int(x + 0.5) in double precision.
std::pair<int64_t, int64_t> PreprocessShape(int64_t h, int64_t w, int64_t long_side);

// The encoder input of `family` for an encoder taking `encoder_side` x `encoder_side` images
// (1024; 512 for EfficientViT-SAM L0-L2). User error for Family::kUnknown or a non-positive side.
Result<Preprocessed> PreprocessImage(const io::Image& image, Family family, int64_t encoder_side);

// The resized image size in the frame prompts and masks live in (`prompt_frame`, normally 1024,
// the prompt encoder's input size): PreprocessShape(h, w, frame) for the SAM-1 families — also for
// EfficientViT-SAM whose encoder sees 512 — and frame x frame for SAM 2. The SAM-1
// postprocessing crops the upsampled logits to this before resizing to the original size.
std::pair<int64_t, int64_t> PromptFrameInputSize(int64_t orig_h, int64_t orig_w, Family family,
                                                 int64_t prompt_frame = 1024);

// Pixel (x, y) of the original image → the coordinates the decoder's point_coords expects, with
// the official arithmetic (SAM-1 families: float64 x · (new_w / w), then float32; SAM 2: float32
// x / w · frame). Boxes are two such points.
std::pair<float, float> TransformPoint(double x, double y, int64_t orig_h, int64_t orig_w,
                                       Family family, int64_t prompt_frame = 1024);
std::pair<float, float> TransformPoint(double x, double y, const Preprocessed& pre, Family family,
                                       int64_t prompt_frame = 1024);

}  // namespace samq::sam
