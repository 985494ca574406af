// Bilinear resize of float planes exactly as PyTorch's F.interpolate(mode='bilinear',
// align_corners=False, antialias=False) computes it on the CPU in float32, because the official
// SAM predictors upsample their mask logits with it and a mask is `logits > 0`: sub-ulp agreement
// keeps the pixels that sit near 0 on the same side.
//
// torch's formula (ATen UpSample.h, area_pixel_compute_source_index / guard_index_and_lambda):
//   scale = in / out                          (float)
//   src   = max(scale * (dst + 0.5) - 0.5, 0) (float)
//   i0    = min(floor(src), in - 1), i1 = i0 + (i0 < in - 1)
//   l1    = clamp(src - i0, 0, 1), l0 = 1 - l1
//   out   = h0 * (w0 * x[i0][j0] + w1 * x[i0][j1]) + h1 * (w0 * x[i1][j0] + w1 * x[i1][j1])
// which is separable: a horizontal pass per input row, then a vertical pass per output row, with
// the same float operations in the same order. Each thread keeps the two horizontally resampled
// rows it needs in a small cache, so no intermediate image is materialised.
#pragma once

#include <cstdint>
#include <vector>

namespace samq::sam {

// The two taps and weights of each output index of a 1-D linear resize in_size -> out_size,
// for output indices [0, count) (count <= out_size: a crop of the top/left of the output).
struct LinearTaps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};
LinearTaps ComputeLinearTaps(int64_t in_size, int64_t out_size, int64_t count);

// Resizes the in_h x in_w plane `src` (row-major) as torch would to frame_h x frame_w, but computes
// and writes only the top-left out_h x out_w window of that result into `dst` (row-major,
// out_h x out_w). Cropping after a resize equals computing only the kept pixels, which is what
// SAM's "upsample to 1024, crop to the input size" needs without materialising the 1024 frame.
// Requires in_h, in_w >= 1, 1 <= out_h <= frame_h, 1 <= out_w <= frame_w. Rows run in parallel.
void ResizeBilinearTopLeft(const float* src, int64_t in_h, int64_t in_w, int64_t frame_h,
                           int64_t frame_w, float* dst, int64_t out_h, int64_t out_w);

// Plain resize in_h x in_w -> out_h x out_w (no crop).
inline void ResizeBilinear(const float* src, int64_t in_h, int64_t in_w, float* dst,
                           int64_t out_h, int64_t out_w) {
  ResizeBilinearTopLeft(src, in_h, in_w, out_h, out_w, dst, out_h, out_w);
}

// Resize in_h x in_w -> out_h x out_w and binarize in one pass: dst (out_h x out_w bytes) gets
// 255 where the resized value is > threshold, else 0. Equal to ResizeBilinear then a threshold,
// without writing the float image.
void ResizeBilinearThreshold(const float* src, int64_t in_h, int64_t in_w, uint8_t* dst,
                             int64_t out_h, int64_t out_w, float threshold);

}  // namespace samq::sam
