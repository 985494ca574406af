// Mask postprocessing: the bilinear resize against torch's formula, then the full chain against the
// fixtures (official predictors' PNG masks from their low-res logits, and the official SAM ONNX
// decoder's own upscaled `masks` output).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "io/image.h"
#include "io/npy.h"
#include "sam/postprocess.h"
#include "sam/upsample.h"
#include "support/fixtures.h"

namespace samq::sam {
namespace {

namespace fs = std::filesystem;

// Direct per-pixel transcription of ATen's upsample_bilinear2d (align_corners=False) in float,
// non-separable: the slow twin of ResizeBilinearTopLeft.
std::vector<float> TorchBilinearReference(const std::vector<float>& src, int64_t ih, int64_t iw,
                                          int64_t oh, int64_t ow) {
  auto taps = [](int64_t in, int64_t out, int64_t d, int64_t& i0, int64_t& i1, float& l0,
                 float& l1) {
    const float scale = static_cast<float>(in) / static_cast<float>(out);
    float s = scale * (static_cast<float>(d) + 0.5f) - 0.5f;
    s = s < 0.f ? 0.f : s;
    i0 = std::min(static_cast<int64_t>(s), in - 1);
    i1 = i0 + (i0 < in - 1 ? 1 : 0);
    l1 = std::min(std::max(s - static_cast<float>(i0), 0.f), 1.f);
    l0 = 1.f - l1;
  };
  std::vector<float> out(static_cast<size_t>(oh * ow));
  for (int64_t y = 0; y < oh; ++y) {
    int64_t y0, y1;
    float h0, h1;
    taps(ih, oh, y, y0, y1, h0, h1);
    for (int64_t x = 0; x < ow; ++x) {
      int64_t x0, x1;
      float w0, w1;
      taps(iw, ow, x, x0, x1, w0, w1);
      const float t0 = w0 * src[y0 * iw + x0] + w1 * src[y0 * iw + x1];
      const float t1 = w0 * src[y1 * iw + x0] + w1 * src[y1 * iw + x1];
      out[y * ow + x] = h0 * t0 + h1 * t1;
    }
  }
  return out;
}

std::vector<float> RandomPlane(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 2.f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(Upsample, TorchDocExample) {
  // torch.nn.Upsample docs: [[1,2],[3,4]] -> 4x4, mode='bilinear', align_corners=False.
  const std::vector<float> in = {1, 2, 3, 4};
  const std::vector<float> want = {1.0f, 1.25f, 1.75f, 2.0f, 1.5f, 1.75f, 2.25f, 2.5f,
                                   2.5f, 2.75f, 3.25f, 3.5f, 3.0f, 3.25f, 3.75f, 4.0f};
  std::vector<float> out(16);
  ResizeBilinear(in.data(), 2, 2, out.data(), 4, 4);
  for (size_t i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(out[i], want[i]) << i;
}

TEST(Upsample, MatchesTorchFormulaBitExact) {
  // Up, down, identity, odd ratios and a 1-pixel side.
  const int64_t cases[][4] = {{256, 256, 1024, 1024}, {17, 23, 40, 31}, {40, 31, 17, 23},
                              {5, 7, 5, 7},           {1, 9, 4, 3},     {683, 1024, 1200, 1800},
                              {3, 1, 8, 2}};
  uint32_t seed = 1;
  for (const auto& c : cases) {
    const auto src = RandomPlane(c[0] * c[1], seed++);
    const auto want = TorchBilinearReference(src, c[0], c[1], c[2], c[3]);
    std::vector<float> got(static_cast<size_t>(c[2] * c[3]));
    ResizeBilinear(src.data(), c[0], c[1], got.data(), c[2], c[3]);
    int64_t diffs = 0;
    for (size_t i = 0; i < got.size(); ++i) diffs += got[i] != want[i];
    EXPECT_EQ(diffs, 0) << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3];
  }
}

TEST(Upsample, TopLeftWindowEqualsCropOfFullResize) {
  const auto src = RandomPlane(64 * 64, 7);
  const auto full = TorchBilinearReference(src, 64, 64, 256, 256);
  std::vector<float> crop(171 * 256);
  ResizeBilinearTopLeft(src.data(), 64, 64, 256, 256, crop.data(), 171, 256);
  for (int64_t y = 0; y < 171; ++y)
    for (int64_t x = 0; x < 256; ++x) ASSERT_EQ(crop[y * 256 + x], full[y * 256 + x]);
  std::vector<float> crop2(256 * 100);
  ResizeBilinearTopLeft(src.data(), 64, 64, 256, 256, crop2.data(), 256, 100);
  for (int64_t y = 0; y < 256; ++y)
    for (int64_t x = 0; x < 100; ++x) ASSERT_EQ(crop2[y * 100 + x], full[y * 256 + x]);
}

TEST(Upsample, FusedThresholdEqualsResizeThenThreshold) {
  auto src = RandomPlane(37 * 41, 9);
  src[5] = std::nanf("");  // NaN is never above the threshold, in the vector path as in the scalar one
  std::vector<float> full(300 * 500);
  ResizeBilinear(src.data(), 37, 41, full.data(), 300, 500);
  std::vector<uint8_t> fused(300 * 500, 7);
  ResizeBilinearThreshold(src.data(), 37, 41, fused.data(), 300, 500, 0.25f);
  for (size_t i = 0; i < full.size(); ++i) ASSERT_EQ(fused[i], full[i] > 0.25f ? 255 : 0) << i;
}

TEST(Postprocess, MaskOnlyPathEqualsKeepLogitsPath) {
  Tensor low = Tensor::FromVector<float>({1, 2, 256, 256}, RandomPlane(2 * 256 * 256, 4));
  for (Family f : {Family::kSam, Family::kEfficientVitSam, Family::kSam2}) {
    const MaskGeometry g = GeometryForFamily(f, 534, 800);
    auto fast = PostprocessMasks(low, f, g);
    auto full = PostprocessMasks(low, f, g, 0.f, /*keep_logits=*/true);
    ASSERT_TRUE(fast.ok() && full.ok());
    EXPECT_FALSE(fast->logits.defined());
    ASSERT_EQ(full->logits.shape(), (Shape{1, 2, 534, 800}));
    ASSERT_EQ(fast->masks.size(), 2u);
    for (size_t k = 0; k < 2; ++k) EXPECT_EQ(fast->masks[k].pixels, full->masks[k].pixels);
  }
}

TEST(Postprocess, LongestSideResizeShape) {
  EXPECT_EQ(LongestSideResizeShape(1200, 1800, 1024), (std::pair<int64_t, int64_t>{683, 1024}));
  EXPECT_EQ(LongestSideResizeShape(1200, 1800, 512), (std::pair<int64_t, int64_t>{341, 512}));
  EXPECT_EQ(LongestSideResizeShape(534, 800, 1024), (std::pair<int64_t, int64_t>{684, 1024}));
  EXPECT_EQ(LongestSideResizeShape(300, 450, 1024), (std::pair<int64_t, int64_t>{683, 1024}));
  EXPECT_EQ(LongestSideResizeShape(1024, 1024, 1024), (std::pair<int64_t, int64_t>{1024, 1024}));
  const MaskGeometry g = GeometryForFamily(Family::kEfficientVitSam, 1200, 1800);
  EXPECT_EQ(g.input_h, 683);  // masks live in the 1024 frame although the encoder sees 512
  EXPECT_EQ(g.input_w, 1024);
}

TEST(Postprocess, BadInputsAreUserErrors) {
  Tensor ints = Tensor::Zeros(DType::kInt64, {1, 1, 4, 4});
  auto r = UpsampleLogitsToImage(ints, Family::kSam, 4, 4, 8, 8, 16);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
  Tensor f = Tensor::Zeros(DType::kFloat32, {1, 1, 4, 4});
  EXPECT_FALSE(UpsampleLogitsToImage(f, Family::kSam, 20, 4, 8, 8, 16).ok());  // input > frame
  EXPECT_FALSE(UpsampleLogitsToImage(f, Family::kSam, 4, 4, 0, 8, 16).ok());
  EXPECT_FALSE(UpsampleLogitsToImage(Tensor::Zeros(DType::kFloat32, {4}), Family::kSam2, 4, 4,
                                     8, 8).ok());
  EXPECT_FALSE(ThresholdMasks(ints).ok());
  // Empty leading dims give an empty result, not an error.
  auto empty = UpsampleLogitsToImage(Tensor::Zeros(DType::kFloat32, {1, 0, 4, 4}), Family::kSam2,
                                     0, 0, 8, 8);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->shape(), (Shape{1, 0, 8, 8}));
}

TEST(Postprocess, ThresholdAndStability) {
  const std::vector<float> v = {-1.f, 0.f, 1e-7f, 2.f, -0.03f, 0.04f};
  BinaryMask m = ThresholdPlane(v.data(), 2, 3);
  EXPECT_EQ(m.pixels, (std::vector<uint8_t>{0, 0, 255, 255, 0, 255}));
  EXPECT_EQ(m.count(), 3);
  // > 0.05: {2}; > -0.05: {0, 1e-7, 2, -0.03, 0.04} -> 1/5.
  EXPECT_FLOAT_EQ(StabilityScore(v.data(), 6, 0.f, 0.05f), 0.2f);
  const std::vector<float> neg(4, -5.f);
  EXPECT_FLOAT_EQ(StabilityScore(neg.data(), 4, 0.f, 0.05f), 1.f);  // empty union
}

// ---- fixtures ---------------------------------------------------------------------------------

BinaryMask ReadMaskPng(const fs::path& p) {
  auto img = io::ReadImage(p);
  EXPECT_TRUE(img.ok()) << img.status().message();
  BinaryMask m;
  if (!img.ok()) return m;
  m.height = img->height;
  m.width = img->width;
  m.pixels.resize(static_cast<size_t>(m.height * m.width));
  for (int64_t i = 0; i < m.height * m.width; ++i) m.pixels[i] = img->rgb[i * 3] > 127 ? 255 : 0;
  return m;
}

double Iou(const BinaryMask& a, const BinaryMask& b, int64_t* differing) {
  int64_t inter = 0, uni = 0, diff = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const bool x = a.pixels[i] != 0, y = b.pixels[i] != 0;
    inter += x && y;
    uni += x || y;
    diff += x != y;
  }
  if (differing) *differing = diff;
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

struct FamilyCase {
  const char* dir;
  Family family;
};
constexpr FamilyCase kFamilies[] = {{"sam-vit-mini", Family::kSam},
                                    {"mobilesam", Family::kMobileSam},
                                    {"efficientvit-sam-mini", Family::kEfficientVitSam},
                                    {"sam2-mini", Family::kSam2}};
constexpr const char* kPrompts[] = {"point1", "points3", "box", "box_point"};

TEST(PostprocessFixtures, LowResLogitsReproduceOfficialMasks) {
  SAMQ_REQUIRE_FIXTURES();
  for (const FamilyCase& fc : kFamilies) {
    const fs::path cases = testing::FixturesDir() / fc.dir / "cases";
    SAMQ_REQUIRE_PATH(cases);
    for (const char* prompt : kPrompts) {
      auto low = io::ReadNpy(cases / (std::string(prompt) + "_low_res_logits.npy"));
      ASSERT_TRUE(low.ok()) << low.status().message();
      const int64_t k_masks = low->dim(0);
      const BinaryMask ref0 = ReadMaskPng(cases / (std::string(prompt) + "_mask0.png"));
      ASSERT_GT(ref0.height, 0);
      const MaskGeometry g = GeometryForFamily(fc.family, ref0.height, ref0.width);
      auto post = PostprocessMasks(*low, fc.family, g);
      ASSERT_TRUE(post.ok()) << post.status().message();
      ASSERT_EQ(static_cast<int64_t>(post->masks.size()), k_masks);
      for (int64_t k = 0; k < k_masks; ++k) {
        const std::string name = std::string(prompt) + "_mask" + std::to_string(k) + ".png";
        const BinaryMask ref = ReadMaskPng(cases / name);
        ASSERT_EQ(ref.height, post->masks[k].height);
        ASSERT_EQ(ref.width, post->masks[k].width);
        int64_t diff = 0;
        const double iou = Iou(ref, post->masks[k], &diff);
        std::printf("[postprocess] %-22s %-22s IoU %.6f  (%lld of %lld pixels differ)\n", fc.dir,
                    name.c_str(), iou, static_cast<long long>(diff),
                    static_cast<long long>(ref.height * ref.width));
        EXPECT_GE(iou, 0.99) << fc.dir << " " << name;
      }
    }
  }
}

TEST(PostprocessFixtures, MatchesOnnxDecoderUpscaledMasks) {
  // The official SamOnnxModel decoder upsamples inside the graph (ONNX Resize from torch's
  // F.interpolate); its `masks` output from `low_res_masks` is the same chain as ours.
  SAMQ_REQUIRE_FIXTURES();
  for (const char* dir : {"sam-vit-mini", "mobilesam", "efficientvit-sam-mini"}) {
    const fs::path cases = testing::FixturesDir() / dir / "cases";
    SAMQ_REQUIRE_PATH(cases / "decoder_out_masks.npy");
    auto low = io::ReadNpy(cases / "decoder_out_low_res_masks.npy");
    auto want = io::ReadNpy(cases / "decoder_out_masks.npy");
    auto size = io::ReadNpy(cases / "decoder_in_orig_im_size.npy");
    ASSERT_TRUE(low.ok() && want.ok() && size.ok());
    const auto hw = size->AsDoubleVector();
    const int64_t h = static_cast<int64_t>(hw[0]), w = static_cast<int64_t>(hw[1]);
    auto got = UpsampleLogitsToImage(*low, Family::kSam, GeometryForFamily(Family::kSam, h, w));
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ(got->shape(), want->shape());
    double max_abs = 0;
    int64_t sign_flips = 0;
    const float* a = got->data<float>();
    const float* b = want->data<float>();
    for (int64_t i = 0; i < got->numel(); ++i) {
      max_abs = std::max(max_abs, static_cast<double>(std::fabs(a[i] - b[i])));
      sign_flips += (a[i] > 0) != (b[i] > 0);
    }
    std::printf("[postprocess] %-22s vs decoder masks %s: max abs %.3g, %lld sign flips\n", dir,
                shape_str(want->shape()).c_str(), max_abs, static_cast<long long>(sign_flips));
    EXPECT_LE(max_abs, 1e-3) << dir;
  }
}

}  // namespace
}  // namespace samq::sam
