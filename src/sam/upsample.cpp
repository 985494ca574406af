#include "sam/upsample.h"

#include <algorithm>
#include <cmath>

#include "backends/cpu/two_tap_rows.h"
#include "core/parallel.h"

namespace samq::sam {

LinearTaps ComputeLinearTaps(int64_t in_size, int64_t out_size, int64_t count) {
  LinearTaps t;
  t.i0.resize(count);
  t.i1.resize(count);
  t.w0.resize(count);
  t.w1.resize(count);
  // torch computes the scale as in/out in the op-math type (float for float tensors) when no
  // scale_factor is given, which is how SAM calls it (size=...).
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  for (int64_t d = 0; d < count; ++d) {
    float src = scale * (static_cast<float>(d) + 0.5f) - 0.5f;
    if (src < 0.f) src = 0.f;
    int64_t i0 = std::min(static_cast<int64_t>(std::floor(src)), in_size - 1);
    float l1 = std::clamp(src - static_cast<float>(i0), 0.f, 1.f);
    t.i0[d] = i0;
    t.i1[d] = i0 + (i0 < in_size - 1 ? 1 : 0);
    t.w1[d] = l1;
    t.w0[d] = 1.f - l1;
  }
  return t;
}

namespace {

// Shared driver: each thread takes a contiguous range of output rows and resamples the input rows
// it needs horizontally into a two-slot cache (slot = input row parity: an output row needs rows
// r and r+1, which never share a slot), so no full intermediate image is written. `store(y, a, b,
// wa, wb)` combines the two resampled rows into output row y.
template <typename Store>
void ResizeRows(const float* src, int64_t in_h, int64_t in_w, int64_t frame_h, int64_t frame_w,
                int64_t out_h, int64_t out_w, const Store& store) {
  const LinearTaps ty = ComputeLinearTaps(in_h, frame_h, out_h);
  const LinearTaps tx = ComputeLinearTaps(in_w, frame_w, out_w);
  const backends::cpu::RowGather gx =
      backends::cpu::BuildRowGather(tx.i0.data(), tx.i1.data(), tx.w0.data(), tx.w1.data(), out_w, in_w);
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(out_w, 1));
  parallel_for(out_h, grain, [&](int64_t y0, int64_t y1) {
    std::vector<float> cache(static_cast<size_t>(2 * out_w));
    int64_t cached[2] = {-1, -1};
    auto row = [&](int64_t r) -> const float* {
      const int slot = static_cast<int>(r & 1);
      float* h_row = cache.data() + slot * out_w;
      if (cached[slot] != r) {
        backends::cpu::GatherRow(src + r * in_w, gx, h_row);
        cached[slot] = r;
      }
      return h_row;
    };
    for (int64_t y = y0; y < y1; ++y) {
      const float* a = row(ty.i0[y]);
      const float* b = row(ty.i1[y]);
      store(y, a, b, ty.w0[y], ty.w1[y]);
    }
  });
}

}  // namespace

void ResizeBilinearTopLeft(const float* src, int64_t in_h, int64_t in_w, int64_t frame_h,
                           int64_t frame_w, float* dst, int64_t out_h, int64_t out_w) {
  ResizeRows(src, in_h, in_w, frame_h, frame_w, out_h, out_w,
             [&](int64_t y, const float* a, const float* b, float wa, float wb) {
               backends::cpu::BlendRows(a, b, wa, wb, out_w, dst + y * out_w);
             });
}

void ResizeBilinearThreshold(const float* src, int64_t in_h, int64_t in_w, uint8_t* dst,
                             int64_t out_h, int64_t out_w, float threshold) {
  ResizeRows(src, in_h, in_w, out_h, out_w, out_h, out_w,
             [&](int64_t y, const float* a, const float* b, float wa, float wb) {
               // Same float expression as ResizeBilinearTopLeft, then 0x00 / 0xFF.
               backends::cpu::BlendRowsThreshold(a, b, wa, wb, out_w, threshold, dst + y * out_w);
             });
}

}  // namespace samq::sam
