#include "backends/cpu/resize_crop_rows.h"

#include <algorithm>
#include <vector>

#include "backends/cpu/two_tap_rows.h"
#include "core/parallel.h"

namespace samq::backends::cpu {
namespace {

// The horizontal pass of one stage over output columns [c0, c0 + n) of axis f.
RowGather BuildGather(const TwoTapAxis& f, int64_t c0, int64_t n, int64_t src_len) {
  std::vector<int64_t> lo(n), hi(n);
  std::vector<float> w0(n), w1(n);
  for (int64_t x = 0; x < n; ++x) {
    const int64_t i = c0 + x;
    lo[x] = f.lo[i];
    hi[x] = f.two[i] ? f.lo[i] + 1 : f.lo[i];
    w0[x] = f.w0[i];
    w1[x] = f.two[i] ? f.w1[i] : 0.0f;
  }
  return BuildRowGather(lo.data(), hi.data(), w0.data(), w1.data(), n, src_len);
}

// The two vertical taps of output row i of an axis (b == a with weight 0 for one tap).
struct RowTaps {
  int64_t lo, hi;
  float w0, w1;
};
RowTaps TapsOf(const TwoTapAxis& f, int64_t i) {
  return {f.lo[i], f.two[i] ? f.lo[i] + 1 : f.lo[i], f.w0[i], f.two[i] ? f.w1[i] : 0.0f};
}

// The last two rows a thread made, by key. Keys are requested in non-decreasing pairs (k, k + 1),
// so a miss evicts the slot that does not hold k - 1.
class RowCache {
 public:
  explicit RowCache(int64_t width) : buf_{std::vector<float>(width), std::vector<float>(width)} {}
  template <typename Make>
  const float* Get(int64_t key, Make&& make) {
    for (int s = 0; s < 2; ++s)
      if (key_[s] == key) return buf_[s].data();
    const int s = key_[0] == key - 1 ? 1 : 0;
    make(key, buf_[s].data());
    key_[s] = key;
    return buf_[s].data();
  }

 private:
  std::vector<float> buf_[2];
  int64_t key_[2] = {-1, -1};
};

}  // namespace

void ResizeCropResizePlanes(const float* in, int64_t planes, const TwoTapPlan& first, const CropWindow& crop,
                            const TwoTapPlan& second, float* out) {
  // The first stage's horizontal pass only for the cropped columns; the second's for all.
  const RowGather g1 = BuildGather(first.fx, crop.x0, crop.w, first.in_w);
  const RowGather g2 = BuildGather(second.fx, 0, second.out_w, crop.w);
  const int64_t oh = second.out_h, ow = second.out_w;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(ow, 1));
  parallel_for(planes * oh, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> tmp(std::max(first.in_w, crop.w)), tmp2(crop.w), stage2(std::max(crop.w, ow));
    // Crop row y of plane p (crop.w values): the first stage's output row crop.y0 + y, columns
    // crop.x0 ... in that stage's axis order.
    auto crop_row = [&](int64_t p, int64_t y, float* dst) {
      const RowTaps v = TapsOf(first.fy, crop.y0 + y);
      const float* a = in + (p * first.in_h + v.lo) * first.in_w;
      const float* b = in + (p * first.in_h + v.hi) * first.in_w;
      if (first.rows_first) {
        BlendRows(a, b, v.w0, v.w1, first.in_w, tmp.data());
        GatherRow(tmp.data(), g1, dst);
      } else {
        GatherRow(a, g1, tmp.data());
        GatherRow(b, g1, tmp2.data());
        BlendRows(tmp.data(), tmp2.data(), v.w0, v.w1, crop.w, dst);
      }
    };
    // Rows first: the cache holds crop rows (crop.w wide), blended then gathered per output row.
    // Columns first: it holds crop rows already gathered to ow columns, then blended.
    RowCache cache(second.rows_first ? crop.w : ow);
    auto make = [&](int64_t key, float* dst) {
      const int64_t p = key / crop.h, y = key % crop.h;
      if (second.rows_first) {
        crop_row(p, y, dst);
      } else {
        crop_row(p, y, stage2.data());
        GatherRow(stage2.data(), g2, dst);
      }
    };
    for (int64_t job = begin; job < end; ++job) {
      const int64_t p = job / oh, y = job % oh;
      const RowTaps v = TapsOf(second.fy, y);
      const float* a = cache.Get(p * crop.h + v.lo, make);
      const float* b = cache.Get(p * crop.h + v.hi, make);  // keeps a's slot (hi is lo or lo + 1)
      float* dst = out + job * ow;
      if (second.rows_first) {
        BlendRows(a, b, v.w0, v.w1, crop.w, stage2.data());
        GatherRow(stage2.data(), g2, dst);
      } else {
        BlendRows(a, b, v.w0, v.w1, ow, dst);
      }
    }
  });
}

}  // namespace samq::backends::cpu
