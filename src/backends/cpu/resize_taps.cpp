#include "backends/cpu/resize_taps.h"

#include <algorithm>
#include <cmath>

namespace samq::backends::cpu {

// Mirrors the reference filter construction (resize_interp.cpp, BuildAxisFilter) for linear mode
// without widening.
bool BuildTwoTapAxis(const ResizeAttrs& a, const ResizeGeometry& g, int d, int64_t in_len, TwoTapAxis* f) {
  const int64_t out_len = g.out[d];
  f->lo.resize(out_len);
  f->w0.resize(out_len);
  f->w1.resize(out_len);
  f->two.resize(out_len);
  constexpr int64_t kWindow = 3;  // ceil(support 1) * 2 + 1
  for (int64_t i = 0; i < out_len; ++i) {
    const float x = g.scales[d] == 1.0f
                        ? static_cast<float>(i)
                        : ResizeOriginalCoordinate(a.coord, static_cast<float>(i), g.scales[d], g.out[d],
                                                   g.resized_len[d], in_len, g.roi_start[d], g.roi_end[d]);
    const float center = x + 0.5f;
    const int64_t first = static_cast<int64_t>(std::floor(center - 1.0f + 0.5f));
    const int64_t last = std::min(static_cast<int64_t>(std::floor(center + 1.0f + 0.5f)), first + kWindow);
    const int64_t lo = std::clamp<int64_t>(first, 0, in_len - 1);
    const int64_t hi = std::clamp<int64_t>(last - 1, 0, in_len - 1);
    float w[kWindow] = {0, 0, 0};
    float total = 0.0f;
    for (int64_t t = first; t < last; ++t) {
      const float arg = std::fabs(static_cast<float>(t) - center + 0.5f);
      const float v = arg < 1.0f ? 1.0f - arg : 0.0f;
      const int64_t at = std::clamp<int64_t>(t, 0, in_len - 1) - lo;
      if (at < 0 || at >= kWindow) return false;
      w[at] += v;
      total += v;
    }
    const float inv_total = total == 0.0f ? 1.0f : 1.0f / total;
    int64_t n = hi - lo + 1;
    if (n > kWindow) return false;
    for (int64_t t = 0; t < n; ++t) w[t] *= inv_total;
    int64_t s = 0;
    while (s < n - 1 && w[s] == 0.0f) ++s;
    while (n - 1 > s && w[n - 1] == 0.0f) --n;
    if (n - s > 2) return false;
    f->lo[i] = lo + s;
    f->w0[i] = w[s];
    f->two[i] = n - s == 2;
    f->w1[i] = n - s == 2 ? w[s + 1] : 0.0f;
  }
  return true;
}

std::optional<TwoTapPlan> PlanTwoTapResize(const ResizeAttrs& a, const ResizeGeometry& g, DType dtype,
                                           const Shape& in_shape) {
  const int64_t r = static_cast<int64_t>(in_shape.size());
  if (dtype != DType::kFloat32 || a.mode != ResizeMode::kLinear || r < 2 ||
      a.coord == ResizeCoord::kTfCropAndResize)
    return std::nullopt;
  int64_t numel = 1;
  for (int64_t d : in_shape) numel *= d;
  if (numel == 0) return std::nullopt;
  for (int64_t d = 0; d < r - 2; ++d)
    if (g.scales[d] != 1.0f || g.out[d] != in_shape[d]) return std::nullopt;  // leading axes untouched
  const int dy = static_cast<int>(r - 2), dx = static_cast<int>(r - 1);
  if (a.antialias && (g.scales[dy] < 1.0f || g.scales[dx] < 1.0f)) return std::nullopt;  // widened filter
  TwoTapPlan p;
  p.in_h = in_shape[dy];
  p.in_w = in_shape[dx];
  p.out_h = g.out[dy];
  p.out_w = g.out[dx];
  if (!BuildTwoTapAxis(a, g, dy, p.in_h, &p.fy) || !BuildTwoTapAxis(a, g, dx, p.in_w, &p.fx)) return std::nullopt;
  p.rows_first = static_cast<double>(p.out_h) / p.in_h <= static_cast<double>(p.out_w) / p.in_w;
  return p;
}

}  // namespace samq::backends::cpu
