// Overlay drawing: blending inside masks only, contours on the mask's own edge pixels, point and
// box colours, and prompts that fall partly or wholly outside the image.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "sam/overlay.h"

namespace samq::sam {
namespace {

constexpr int64_t kH = 40, kW = 60;

std::vector<uint8_t> GrayImage(uint8_t v) { return std::vector<uint8_t>(kH * kW * 3, v); }

Rgb At(const std::vector<uint8_t>& img, int64_t y, int64_t x) {
  const uint8_t* p = img.data() + (y * kW + x) * 3;
  return {p[0], p[1], p[2]};
}

// Rows [y0, y1), columns [x0, x1) inside.
BinaryMask RectMask(int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
  BinaryMask m;
  m.height = kH;
  m.width = kW;
  m.pixels.assign(kH * kW, 0);
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x) m.pixels[y * kW + x] = 255;
  return m;
}

Rgb Blend(uint8_t base, const Rgb& c) {
  return {static_cast<uint8_t>(std::lround(base * 0.5f + c[0] * 0.5f)),
          static_cast<uint8_t>(std::lround(base * 0.5f + c[1] * 0.5f)),
          static_cast<uint8_t>(std::lround(base * 0.5f + c[2] * 0.5f))};
}

TEST(Overlay, BlendsInsideMaskOnlyWithContourOnItsEdge) {
  const auto img = GrayImage(100);
  const BinaryMask m = RectMask(10, 30, 10, 50);
  const auto out = DrawOverlay(img.data(), kH, kW, {m}, {});
  ASSERT_EQ(out.size(), img.size());
  const Rgb c = MaskColor(0);
  EXPECT_EQ(At(out, 20, 30), Blend(100, c));  // interior
  EXPECT_EQ(At(out, 10, 30), c);              // top edge row: contour
  EXPECT_EQ(At(out, 29, 49), c);              // bottom-right corner pixel
  // Everything outside the mask is untouched (the contour lies inside the mask).
  for (int64_t y = 0; y < kH; ++y)
    for (int64_t x = 0; x < kW; ++x)
      if (!m.inside(y, x)) {
        ASSERT_EQ(At(out, y, x), (Rgb{100, 100, 100})) << y << "," << x;
      }
  // Contours off: the edge is blended like the rest.
  OverlayStyle plain;
  plain.contours = false;
  const auto flat = DrawOverlay(img.data(), kH, kW, {m}, {}, plain);
  EXPECT_EQ(At(flat, 10, 30), Blend(100, c));
}

TEST(Overlay, MasksGetDistinctColoursAndWrongSizedMasksAreSkipped) {
  const auto img = GrayImage(0);
  BinaryMask wrong;
  wrong.height = 3;
  wrong.width = 3;
  wrong.pixels.assign(9, 255);
  OverlayStyle plain;
  plain.contours = false;
  const auto out = DrawOverlay(img.data(), kH, kW,
                               {RectMask(0, 20, 0, 60), RectMask(20, 40, 0, 60), wrong}, {}, plain);
  EXPECT_NE(MaskColor(0), MaskColor(1));
  EXPECT_EQ(At(out, 5, 5), Blend(0, MaskColor(0)));
  EXPECT_EQ(At(out, 35, 5), Blend(0, MaskColor(1)));
  EXPECT_EQ(MaskColor(8), MaskColor(0));  // the palette repeats
}

TEST(Overlay, PointsAndBoxes) {
  const auto img = GrayImage(100);
  OverlayPrompts p;
  p.points = {{5.f, 5.f}, {50.f, 35.f}, {30.f, 20.f}};
  p.labels = {1, 0, 7};
  p.boxes = {{12.f, 8.f, 40.f, 30.f}};
  const auto out = DrawOverlay(img.data(), kH, kW, {}, p);
  EXPECT_EQ(At(out, 5, 5), PointColor(1));
  EXPECT_EQ(At(out, 35, 50), PointColor(0));
  EXPECT_EQ(At(out, 20, 30), PointColor(7));
  EXPECT_EQ(PointColor(1), (Rgb{0, 200, 0}));
  EXPECT_EQ(PointColor(0), (Rgb{230, 0, 0}));
  // Radius 3 on a 40 px short side, with a white rim at the disc's edge.
  EXPECT_EQ(At(out, 5, 8), (Rgb{255, 255, 255}));
  EXPECT_EQ(At(out, 5, 9), (Rgb{100, 100, 100}));
  // Box outline: top edge row 8, left column 12; the inside stays untouched.
  EXPECT_EQ(At(out, 8, 25), BoxColor());
  EXPECT_EQ(At(out, 15, 12), BoxColor());
  EXPECT_EQ(At(out, 15, 40), BoxColor());
  EXPECT_EQ(At(out, 30, 25), BoxColor());
  EXPECT_EQ(At(out, 15, 25), (Rgb{100, 100, 100}));
}

TEST(Overlay, PromptsOutsideTheImageAreClipped) {
  const auto img = GrayImage(100);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  OverlayPrompts far;
  far.points = {{-100.f, -100.f}, {1e30f, 5.f}, {nan, 3.f}, {5.f, inf}, {-1e30f, -1e30f}};
  far.labels = {1, 0};  // fewer labels than points: the rest count as foreground
  far.boxes = {{-50.f, -50.f, -10.f, -10.f}, {nan, 0.f, 10.f, 10.f}, {1e9f, 1e9f, 2e9f, 2e9f}};
  const auto out = DrawOverlay(img.data(), kH, kW, {}, far);
  EXPECT_EQ(out, img);  // nothing lands inside

  OverlayPrompts edge;
  edge.points = {{0.f, 0.f}, {59.f, 39.f}};
  edge.boxes = {{-10.f, -10.f, 20.f, 20.f}, {30.f, 25.f, 1e9f, 1e9f}};
  const auto out2 = DrawOverlay(img.data(), kH, kW, {}, edge);
  EXPECT_EQ(At(out2, 0, 0), PointColor(1));
  EXPECT_EQ(At(out2, 39, 59), PointColor(1));
  EXPECT_EQ(At(out2, 20, 10), BoxColor());  // bottom edge of the clipped box
  EXPECT_EQ(At(out2, 10, 20), BoxColor());  // its right edge
  EXPECT_EQ(At(out2, 25, 45), BoxColor());  // top edge of the box running off the image
  EXPECT_EQ(At(out2, 32, 30), BoxColor());  // its left edge
}

// Brute force: inside and some in-image pixel within Chebyshev distance t is outside.
bool ReferenceContour(const BinaryMask& m, int64_t y, int64_t x, int t) {
  if (!m.inside(y, x)) return false;
  for (int64_t dy = -t; dy <= t; ++dy)
    for (int64_t dx = -t; dx <= t; ++dx) {
      const int64_t yy = y + dy, xx = x + dx;
      if (yy >= 0 && yy < m.height && xx >= 0 && xx < m.width && !m.inside(yy, xx)) return true;
    }
  return false;
}

TEST(Overlay, ContourMatchesBruteForceErosion) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 24; ++trial) {
    const int64_t h = 1 + rng() % 70, w = 1 + rng() % 300;  // > 256 wide: several column strips
    BinaryMask m;
    m.height = h;
    m.width = w;
    m.pixels.assign(h * w, 0);
    if (trial % 3 == 0) {  // noise
      for (auto& v : m.pixels) v = rng() % 3 ? 255 : 0;
    } else {  // a few rectangles, some touching the borders
      for (int r = 0; r < 3; ++r) {
        const int64_t y0 = rng() % h, x0 = rng() % w;
        const int64_t y1 = std::min(h, y0 + 1 + static_cast<int64_t>(rng() % h));
        const int64_t x1 = std::min(w, x0 + 1 + static_cast<int64_t>(rng() % w));
        for (int64_t y = y0; y < y1; ++y)
          for (int64_t x = x0; x < x1; ++x) m.pixels[y * w + x] = 255;
      }
    }
    for (int t : {1, 2, 3}) {
      OverlayStyle st;
      st.mask_alpha = 0.f;  // blend is the identity: only the contour changes pixels
      st.contour_px = t;
      const std::vector<uint8_t> img(h * w * 3, 7);
      const auto out = DrawOverlay(img.data(), h, w, {m}, {}, st);
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const bool painted = out[(y * w + x) * 3] != 7;
          ASSERT_EQ(painted, ReferenceContour(m, y, x, t))
              << "trial " << trial << " t " << t << " at " << y << "," << x << " of " << h << "x" << w;
        }
    }
  }
}

TEST(Overlay, EmptyImage) {
  const std::vector<uint8_t> none;
  EXPECT_TRUE(DrawOverlay(none.data(), 0, 0, {}, {}).empty());
}

}  // namespace
}  // namespace samq::sam
