#include "sam/overlay.h"

#include <algorithm>
#include <cmath>

#include "core/parallel.h"

namespace samq::sam {

namespace {

// Distinct, mid-brightness colours (blue first, as in the SAM demos); red and green are kept for
// point labels.
constexpr Rgb kPalette[] = {
    {30, 144, 255}, {255, 165, 0}, {148, 103, 189}, {255, 215, 0},
    {23, 190, 207}, {140, 86, 75}, {188, 189, 34},  {227, 119, 194},
};
constexpr int64_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);
constexpr Rgb kWhite = {255, 255, 255};

struct Sizes {
  int contour, line, radius, rim;
};

// Scaled to the short side: ~1 px contour below 600 px and 2 px above; lines ~1/400 and point
// discs ~1/80 of the short side, never smaller than what stays visible.
Sizes ResolveSizes(int64_t h, int64_t w, const OverlayStyle& st) {
  const int64_t s = std::min(h, w);
  Sizes z{};
  z.contour = st.contour_px > 0 ? st.contour_px : (s >= 600 ? 2 : 1);
  z.line = st.line_px > 0 ? st.line_px : static_cast<int>(std::max<int64_t>(1, s / 400));
  z.radius =
      st.point_radius_px > 0 ? st.point_radius_px : static_cast<int>(std::max<int64_t>(3, s / 80));
  z.rim = std::max(1, z.radius / 4);
  return z;
}

inline void Put(uint8_t* img, int64_t w, int64_t y, int64_t x, const Rgb& c) {
  uint8_t* p = img + (y * w + x) * 3;
  p[0] = c[0];
  p[1] = c[1];
  p[2] = c[2];
}

// Clamps a float coordinate range [lo, hi] (inclusive, pixels) to [0, n-1]; false if it misses.
bool ClipRange(double lo, double hi, int64_t n, int64_t& a, int64_t& b) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi < 0 || lo > static_cast<double>(n - 1)) {
    return false;
  }
  a = static_cast<int64_t>(std::max(0.0, std::ceil(lo)));
  b = static_cast<int64_t>(std::min(static_cast<double>(n - 1), std::floor(hi)));
  return a <= b;
}

void FillRect(uint8_t* img, int64_t h, int64_t w, double x0, double y0, double x1, double y1,
              const Rgb& c) {
  int64_t xa, xb, ya, yb;
  if (!ClipRange(x0, x1, w, xa, xb) || !ClipRange(y0, y1, h, ya, yb)) return;
  for (int64_t y = ya; y <= yb; ++y)
    for (int64_t x = xa; x <= xb; ++x) Put(img, w, y, x, c);
}

void FillDisc(uint8_t* img, int64_t h, int64_t w, double cx, double cy, int radius,
              const Rgb& c) {
  int64_t xa, xb, ya, yb;
  if (!ClipRange(cx - radius, cx + radius, w, xa, xb) ||
      !ClipRange(cy - radius, cy + radius, h, ya, yb)) {
    return;
  }
  const double r2 = static_cast<double>(radius) * radius;
  for (int64_t y = ya; y <= yb; ++y) {
    for (int64_t x = xa; x <= xb; ++x) {
      const double dx = x - cx, dy = y - cy;
      if (dx * dx + dy * dy <= r2) Put(img, w, y, x, c);
    }
  }
}

// The rows and columns a mask occupies (inclusive); empty when it has no inside pixel. Drawing
// work is then proportional to the mask's box rather than the image.
struct Extent {
  int64_t y0 = 0, y1 = -1, x0 = 0, x1 = -1;
  bool empty() const { return y1 < y0; }
};

Extent MaskExtent(const BinaryMask& m) {
  Extent e;
  const int64_t h = m.height, w = m.width;
  e.x0 = w;
  for (int64_t y = 0; y < h; ++y) {
    const uint8_t* row = m.pixels.data() + y * w;
    int64_t first = 0;
    while (first < w && !row[first]) ++first;
    if (first == w) continue;
    if (e.empty()) e.y0 = y;
    e.y1 = y;
    e.x0 = std::min(e.x0, first);
    int64_t last = w - 1;
    while (last > e.x1 && !row[last]) --last;
    e.x1 = std::max(e.x1, last);
  }
  if (e.empty()) e = Extent{};
  return e;
}

// Paints, in colour `c`, the pixels of the mask within `t` (Chebyshev distance) of a pixel outside
// it: the mask minus its (2t+1)^2 erosion. Image borders do not count as outside, so a mask that
// touches the border gets no line there. The erosion is two passes of run lengths capped at t+1
// (rows, then columns) over the mask's extent `e`; just beyond the extent is outside the mask,
// unless the extent reaches the image border.
void PaintContour(const BinaryMask& m, const Extent& e, int t, const Rgb& c, uint8_t* img) {
  const int64_t h = m.height, w = m.width;
  const int64_t eh = e.y1 - e.y0 + 1, ew = e.x1 - e.x0 + 1;
  const uint8_t* px = m.pixels.data();
  const uint8_t full = static_cast<uint8_t>(std::min(t + 1, 255));
  const uint8_t before_x = e.x0 == 0 ? full : 0, after_x = e.x1 == w - 1 ? full : 0;
  const uint8_t before_y = e.y0 == 0 ? full : 0, after_y = e.y1 == h - 1 ? full : 0;
  // hrun: 1 where the row window [x-t, x+t] is all inside (extent coordinates).
  std::vector<uint8_t> hrun(static_cast<size_t>(eh * ew));
  parallel_for(eh, std::max<int64_t>(1, 65536 / ew), [&](int64_t r0, int64_t r1) {
    std::vector<uint8_t> left(static_cast<size_t>(ew));
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t* row = px + (e.y0 + r) * w + e.x0;
      uint8_t* out = hrun.data() + r * ew;
      uint8_t run = before_x;
      for (int64_t j = 0; j < ew; ++j) {
        run = row[j] ? static_cast<uint8_t>(std::min<int>(run + 1, full)) : 0;
        left[j] = run;
      }
      run = after_x;
      for (int64_t j = ew - 1; j >= 0; --j) {
        run = row[j] ? static_cast<uint8_t>(std::min<int>(run + 1, full)) : 0;
        out[j] = left[j] >= full && run >= full;
      }
    }
  });
  // Columns, in strips so each thread walks its own columns top-down then bottom-up.
  constexpr int64_t kStrip = 256;
  const int64_t strips = (ew + kStrip - 1) / kStrip;
  parallel_for(strips, std::max<int64_t>(1, (1 << 18) / (kStrip * eh)), [&](int64_t s0, int64_t s1) {
    std::vector<uint8_t> up(static_cast<size_t>(eh * kStrip)), edge_in(kStrip), down(kStrip);
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t j0 = s * kStrip, sw = std::min(kStrip, ew - j0);
      std::fill(edge_in.begin(), edge_in.end(), before_y);
      for (int64_t r = 0; r < eh; ++r) {
        const uint8_t* hr = hrun.data() + r * ew + j0;
        const uint8_t* prev = r > 0 ? up.data() + (r - 1) * kStrip : edge_in.data();
        uint8_t* cur = up.data() + r * kStrip;
        for (int64_t j = 0; j < sw; ++j) {
          cur[j] = hr[j] ? static_cast<uint8_t>(std::min<int>(prev[j] + 1, full)) : 0;
        }
      }
      std::fill(down.begin(), down.end(), after_y);
      for (int64_t r = eh - 1; r >= 0; --r) {
        const int64_t y = e.y0 + r, x0 = e.x0 + j0;
        const uint8_t* hr = hrun.data() + r * ew + j0;
        const uint8_t* mr = px + y * w + x0;
        const uint8_t* cur_up = up.data() + r * kStrip;
        uint8_t* p = img + (y * w + x0) * 3;
        for (int64_t j = 0; j < sw; ++j, p += 3) {
          down[j] = hr[j] ? static_cast<uint8_t>(std::min<int>(down[j] + 1, full)) : 0;
          // Branch-free select: noisy masks would make a branch here mispredict constantly.
          const bool edge = mr[j] && !(cur_up[j] >= full && down[j] >= full);
          p[0] = edge ? c[0] : p[0];
          p[1] = edge ? c[1] : p[1];
          p[2] = edge ? c[2] : p[2];
        }
      }
    }
  });
}

// Blends the inside pixels of `m` (within its extent) with colour `c` at alpha `a`.
void BlendMask(const BinaryMask& m, const Extent& e, const Rgb& c, float a, uint8_t* img) {
  const int64_t w = m.width, ew = e.x1 - e.x0 + 1;
  // lut[1] blends every byte value with the mask colour, lut[0] is the identity: indexing by
  // "inside" keeps the per-pixel work a branch-free lookup.
  uint8_t lut[2][3][256];
  for (int ch = 0; ch < 3; ++ch) {
    for (int v = 0; v < 256; ++v) {
      lut[0][ch][v] = static_cast<uint8_t>(v);
      lut[1][ch][v] = static_cast<uint8_t>(std::lround(v * (1.f - a) + c[ch] * a));
    }
  }
  parallel_for(e.y1 - e.y0 + 1, std::max<int64_t>(1, 65536 / ew), [&](int64_t r0, int64_t r1) {
    for (int64_t y = e.y0 + r0; y < e.y0 + r1; ++y) {
      const uint8_t* mr = m.pixels.data() + y * w + e.x0;
      uint8_t* p = img + (y * w + e.x0) * 3;
      for (int64_t j = 0; j < ew; ++j, p += 3) {
        const auto& t = lut[mr[j] != 0];
        p[0] = t[0][p[0]];
        p[1] = t[1][p[1]];
        p[2] = t[2][p[2]];
      }
    }
  });
}

}  // namespace

Rgb MaskColor(int64_t k) { return kPalette[((k % kPaletteSize) + kPaletteSize) % kPaletteSize]; }

Rgb PointColor(int label) {
  if (label == 1) return {0, 200, 0};
  if (label == 0) return {230, 0, 0};
  return {128, 128, 128};
}

Rgb BoxColor() { return {255, 0, 255}; }

OverlayPrompts ToOverlayPrompts(const Prompt& prompt) {
  OverlayPrompts o;
  for (const Point& p : prompt.points) {
    o.points.push_back({p.x, p.y});
    o.labels.push_back(p.label);
  }
  for (const Box& b : prompt.boxes) o.boxes.push_back({b.x0, b.y0, b.x1, b.y1});
  return o;
}

std::vector<uint8_t> DrawOverlay(const uint8_t* rgb, int64_t height, int64_t width,
                                 const std::vector<BinaryMask>& masks,
                                 const OverlayPrompts& prompts, const OverlayStyle& style) {
  const int64_t h = std::max<int64_t>(height, 0), w = std::max<int64_t>(width, 0);
  std::vector<uint8_t> img(rgb, rgb + h * w * 3);
  if (h == 0 || w == 0) return img;
  const Sizes z = ResolveSizes(h, w, style);
  const float a = std::clamp(style.mask_alpha, 0.f, 1.f);

  for (size_t k = 0; k < masks.size(); ++k) {
    const BinaryMask& m = masks[k];
    if (m.height != h || m.width != w || static_cast<int64_t>(m.pixels.size()) != h * w) continue;
    const Extent e = MaskExtent(m);
    if (e.empty()) continue;
    const Rgb c = MaskColor(static_cast<int64_t>(k));
    BlendMask(m, e, c, a, img.data());
    if (style.contours) PaintContour(m, e, z.contour, c, img.data());
  }

  // Box outlines: a band of `line` pixels centred on each edge.
  for (const auto& b : prompts.boxes) {
    const double x0 = std::min(b[0], b[2]), x1 = std::max(b[0], b[2]);
    const double y0 = std::min(b[1], b[3]), y1 = std::max(b[1], b[3]);
    const double lo = -(z.line / 2), hi = lo + z.line - 1;
    const Rgb c = BoxColor();
    FillRect(img.data(), h, w, x0 + lo, std::round(y0) + lo, x1 + hi, std::round(y0) + hi, c);
    FillRect(img.data(), h, w, x0 + lo, std::round(y1) + lo, x1 + hi, std::round(y1) + hi, c);
    FillRect(img.data(), h, w, std::round(x0) + lo, y0 + lo, std::round(x0) + hi, y1 + hi, c);
    FillRect(img.data(), h, w, std::round(x1) + lo, y0 + lo, std::round(x1) + hi, y1 + hi, c);
  }

  // Points last so they stay visible on top of masks and boxes.
  for (size_t i = 0; i < prompts.points.size(); ++i) {
    const double x = std::round(prompts.points[i][0]), y = std::round(prompts.points[i][1]);
    const int label = i < prompts.labels.size() ? prompts.labels[i] : 1;
    FillDisc(img.data(), h, w, x, y, z.radius, kWhite);
    FillDisc(img.data(), h, w, x, y, std::max(1, z.radius - z.rim), PointColor(label));
  }
  return img;
}

}  // namespace samq::sam
