// From the decoder's low-resolution mask logits to full-resolution binary masks, as each family's
// official predictor does it:
//
//  SAM / MobileSAM / EfficientViT-SAM (segment_anything Sam.postprocess_masks,
//  EfficientViTSam.postprocess_masks): 256x256 logits -> bilinear to the square encoder frame
//  (img_size, 1024; EfficientViT-SAM keeps masks in the 1024 frame even though its encoder sees
//  512) -> crop [:input_h, :input_w] (the resized image inside the padded frame) -> bilinear to the
//  original h x w.
//  SAM 2 (sam2 SAM2Transforms.postprocess_masks): 256x256 logits -> bilinear straight to the
//  original h x w (its images are squashed to 1024x1024, not padded, so there is nothing to crop;
//  max_hole_area = max_sprinkle_area = 0, so no hole filling).
//
// Every resize is F.interpolate(bilinear, align_corners=False) — see upsample.h. A mask is
// logits > 0 (mask_threshold 0.0 in all four predictors).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "sam/family.h"

namespace samq::sam {

// Size of an h x w image once its longest side is resized to `target`
// (ResizeLongestSide.get_preprocess_shape: round half up of h * target / max(h, w), in double).
// truck 1200x1800 -> 683x1024 at target 1024.
std::pair<int64_t, int64_t> LongestSideResizeShape(int64_t h, int64_t w, int64_t target);

// Where the low-res logits come from and where they go.
struct MaskGeometry {
  int64_t orig_h = 0, orig_w = 0;    // the original image
  int64_t input_h = 0, input_w = 0;  // the resized image inside the frame (SAM-1 families)
  int64_t frame = 1024;              // the square frame the mask decoder's masks live in
};

// The geometry each family's predictor uses for an orig_h x orig_w image: SAM-1 families get
// input = LongestSideResizeShape(orig, 1024) (EfficientViT-SAM included: its masks and prompts are
// in the 1024 frame); SAM 2 gets input = 1024x1024 (unused by its upsampling).
MaskGeometry GeometryForFamily(Family family, int64_t orig_h, int64_t orig_w);

// Upsamples low-res logits [..., h, w] (float32; typically 1 x K x 256 x 256) to
// [..., orig_h, orig_w] float32 logits the way `family`'s predictor does. Family::kUnknown is
// treated like SAM. User error for a non-float32 tensor, rank < 2, empty planes, or a geometry
// that does not fit (input size outside 1..frame, original size < 1).
Result<Tensor> UpsampleLogitsToImage(const Tensor& low_res, Family family, const MaskGeometry& geo);
// Same with the geometry spelled out (input_h/input_w are ignored for SAM 2).
Result<Tensor> UpsampleLogitsToImage(const Tensor& low_res, Family family, int64_t input_h,
                                     int64_t input_w, int64_t orig_h, int64_t orig_w,
                                     int64_t frame = 1024);

// One binary mask, row-major, 255 inside and 0 outside (ready to be written as an 8-bit PNG; the
// RLE and overlay code treat any non-zero byte as inside).
struct BinaryMask {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> pixels;
  bool inside(int64_t y, int64_t x) const { return pixels[y * width + x] != 0; }
  int64_t count() const;  // pixels inside
};

// logits > threshold for every plane of a float32 [..., H, W] tensor (planes in C order).
Result<std::vector<BinaryMask>> ThresholdMasks(const Tensor& logits, float threshold = 0.f);
// One plane: logits (h*w floats, row-major) > threshold.
BinaryMask ThresholdPlane(const float* logits, int64_t h, int64_t w, float threshold = 0.f);

// UpsampleLogitsToImage then ThresholdMasks. The full-resolution logits are kept in `logits`
// only with keep_logits (e.g. for a return_logits option); without it one plane is upsampled at
// a time into a reused buffer, which saves the K x H x W float tensor.
struct PostprocessedMasks {
  Tensor logits;                  // float32 [..., orig_h, orig_w]; undefined unless keep_logits
  std::vector<BinaryMask> masks;  // one per plane
};
Result<PostprocessedMasks> PostprocessMasks(const Tensor& low_res, Family family,
                                            const MaskGeometry& geo, float threshold = 0.f,
                                            bool keep_logits = false);

// SAM's stability score of one logits plane: |logits > t + offset| / |logits > t - offset|
// (segment_anything calculate_stability_score; SAM 2's _dynamic_multimask_via_stability uses
// t = 0, offset = 0.05 and 1.0 when the union is empty).
float StabilityScore(const float* logits, int64_t n, float threshold = 0.f, float offset = 1.f);

}  // namespace samq::sam
