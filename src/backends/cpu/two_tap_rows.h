// Row primitives of separable two-tap (bilinear) resampling, vectorized with AVX-512 where the CPU
// has it: a horizontal gather (dst[x] = w0[x] * src[lo[x]] + w1[x] * src[hi[x]]) and a vertical
// blend of two rows (dst[k] = w0 * a[k] + w1 * b[k]), optionally thresholded to 0x00 / 0xFF bytes.
//
// Every output is computed with exactly that float expression (two products, one sum, no FMA: the
// .cpp is built with -ffp-contract=off), so callers that promise bit-exactness with a reference
// (com.samq ResizeCropResize vs ref.Resize, sam/upsample vs torch's F.interpolate) keep it.
#pragma once

#include <cstdint>
#include <vector>

namespace samq::backends::cpu {

// The horizontal pass of one axis over n outputs, with its taps precomputed. A one-tap output is
// given as hi == lo with w1 == 0.
struct RowGather {
  int64_t n = 0, src_len = 0;
  std::vector<int32_t> lo, hi;
  std::vector<float> w0, w1;
  // Per block of 16 outputs: whether all its taps fall in src[base, base + 16), so one load and two
  // lane permutes replace 32 scalar loads (always true when upsampling by >= 1.07); rlo/rhi are the
  // taps relative to their block's base.
  std::vector<int32_t> base, rlo, rhi;
  std::vector<uint8_t> in_window;
};

// Taps of output x: lo[x], hi[x] in [0, src_len), weights w0[x], w1[x].
RowGather BuildRowGather(const int64_t* lo, const int64_t* hi, const float* w0, const float* w1, int64_t n,
                         int64_t src_len);

// dst[x] = w0[x] * src[lo[x]] + w1[x] * src[hi[x]] for x in [0, t.n); src has t.src_len floats.
void GatherRow(const float* src, const RowGather& t, float* dst);

// dst[k] = w0 * a[k] + w1 * b[k] for k in [0, n).
void BlendRows(const float* a, const float* b, float w0, float w1, int64_t n, float* dst);

// dst[k] = (w0 * a[k] + w1 * b[k] > threshold) ? 0xFF : 0x00 for k in [0, n) (NaN gives 0x00).
void BlendRowsThreshold(const float* a, const float* b, float w0, float w1, int64_t n, float threshold,
                        uint8_t* dst);

}  // namespace samq::backends::cpu
