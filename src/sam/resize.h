// The resizes the official SAM-family code performs, reproduced operation for operation:
//
//  * ResizeBilinearAntialiasU8 — Pillow's `Image.resize((w, h), Image.BILINEAR)` on 8-bit RGB,
//    bit-exact (what SAM's ResizeLongestSide, MobileSAM and EfficientViT-SAM's SamResize run via
//    torchvision's resize of a PIL image).
//  * ResizeBilinearAntialiasFloat — torch `F.interpolate(x, size, mode="bilinear",
//    align_corners=False, antialias=True)` on float32 planes (SAM 2's transform of the /255 image).
//  * UpsampleBilinear — torch `F.interpolate(x, size, mode="bilinear", align_corners=False)`
//    without antialiasing (mask postprocessing: low-res logits to 1024 or to the original size).
//
// Float planes are dense `planes x height x width` (NCHW with N*C planes).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/tensor.h"
#include "io/image.h"

namespace samq::sam {

// Pillow BILINEAR resize of an 8-bit RGB image. out_h, out_w ≥ 1.
Result<io::Image> ResizeBilinearAntialiasU8(const io::Image& image, int64_t out_h, int64_t out_w);

// torch bilinear antialiased resize of `planes` float planes of in_h x in_w into out_h x out_w.
Status ResizeBilinearAntialiasFloat(const float* src, int64_t planes, int64_t in_h, int64_t in_w,
                                    float* dst, int64_t out_h, int64_t out_w);

// torch bilinear resize (align_corners=False, no antialias) of float planes.
Status UpsampleBilinear(const float* src, int64_t planes, int64_t in_h, int64_t in_w, float* dst,
                        int64_t out_h, int64_t out_w);
// The same on a float32 tensor of rank ≥ 2 (the last two dims are resized): returns a new tensor.
Result<Tensor> UpsampleBilinear(const Tensor& input, int64_t out_h, int64_t out_w);

}  // namespace samq::sam
