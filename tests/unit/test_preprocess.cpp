// Per-family preprocessing and prompt transforms against the fixtures' official outputs
// (../shared/fixtures/<family>/cases and manifest.json, made by the official PyTorch predictors).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/image.h"
#include "io/npy.h"
#include "sam/preprocess.h"
#include "sam/resize.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
using sam::Family;

io::Image Truck() {
  auto img = io::ReadImage(testing::FixturesDir() / "images" / "truck.jpg");
  EXPECT_TRUE(img.ok()) << img.status().message();
  return img.ok() ? std::move(img).value() : io::Image{};
}

Tensor LoadCase(const std::string& family, const std::string& file) {
  auto t = io::ReadNpy(testing::FixturesDir() / family / "cases" / file);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : Tensor{};
}

nlohmann::json Manifest(const std::string& family) {
  std::ifstream f(testing::FixturesDir() / family / "manifest.json");
  return nlohmann::json::parse(f);
}

struct Sam1Case {
  const char* fixture;
  Family family;
  int64_t side;
};
constexpr Sam1Case kSam1Cases[] = {{"sam-vit-mini", Family::kSam, 1024},
                                   {"mobilesam", Family::kMobileSam, 1024},
                                   {"efficientvit-sam-mini", Family::kEfficientVitSam, 512}};

TEST(Preprocess, PillowResizeMatchesFixturesExactly) {
  SAMQ_REQUIRE_FIXTURES();
  const io::Image truck = Truck();
  for (const auto& c : kSam1Cases) {
    const Tensor want = LoadCase(c.fixture, "resized_rgb_u8.npy");
    ASSERT_EQ(want.rank(), 3);
    const auto [h, w] = sam::PreprocessShape(truck.height, truck.width, c.side);
    ASSERT_EQ(h, want.dim(0)) << c.fixture;
    ASSERT_EQ(w, want.dim(1)) << c.fixture;
    auto got = sam::ResizeBilinearAntialiasU8(truck, h, w);
    ASSERT_TRUE(got.ok());
    int max_diff = 0;
    for (size_t i = 0; i < got->rgb.size(); ++i) {
      max_diff = std::max(max_diff, std::abs(int{got->rgb[i]} - int{want.data<uint8_t>()[i]}));
    }
    EXPECT_EQ(max_diff, 0) << c.fixture;
  }
}

// SAM-1 families: the encoder input is normalize(resized_rgb_u8) padded with zeros; the expected
// values are computed here in double from the fixture's uint8 pixels.
TEST(Preprocess, Sam1FamiliesMatchFixtureEncoderInput) {
  SAMQ_REQUIRE_FIXTURES();
  const io::Image truck = Truck();
  const double mean[3] = {123.675, 116.28, 103.53}, stdv[3] = {58.395, 57.12, 57.375};
  for (const auto& c : kSam1Cases) {
    const Tensor resized = LoadCase(c.fixture, "resized_rgb_u8.npy");
    auto pre = sam::PreprocessImage(truck, c.family, c.side);
    ASSERT_TRUE(pre.ok()) << pre.status().message();
    EXPECT_EQ(pre->image.shape(), (Shape{1, 3, c.side, c.side}));
    EXPECT_EQ(pre->orig_h, 1200);
    EXPECT_EQ(pre->orig_w, 1800);
    EXPECT_EQ(pre->input_h, resized.dim(0));
    EXPECT_EQ(pre->input_w, resized.dim(1));
    const float* x = pre->image.data<float>();
    const uint8_t* u8 = resized.data<uint8_t>();
    double max_diff = 0;
    for (int ch = 0; ch < 3; ++ch) {
      for (int64_t y = 0; y < c.side; ++y) {
        for (int64_t xx = 0; xx < c.side; ++xx) {
          double want = 0.0;  // padding
          if (y < pre->input_h && xx < pre->input_w) {
            want = (u8[(y * pre->input_w + xx) * 3 + ch] - mean[ch]) / stdv[ch];
          }
          max_diff = std::max(max_diff, std::abs(x[(ch * c.side + y) * c.side + xx] - want));
        }
      }
    }
    EXPECT_LE(max_diff, 1e-6) << c.fixture;
    RecordProperty(std::string(c.fixture) + "_max_abs_diff", fmt::format("{:.3g}", max_diff));
  }
}

TEST(Preprocess, Sam2MatchesFixtureEncoderInput) {
  SAMQ_REQUIRE_FIXTURES();
  const Tensor want = LoadCase("sam2-mini", "encoder_in_image.npy");
  auto pre = sam::PreprocessImage(Truck(), Family::kSam2, 1024);
  ASSERT_TRUE(pre.ok()) << pre.status().message();
  ASSERT_EQ(pre->image.shape(), want.shape());
  EXPECT_EQ(pre->input_h, 1024);
  EXPECT_EQ(pre->input_w, 1024);
  double max_diff = 0;
  const float* got = pre->image.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < want.numel(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::abs(got[i] - w[i])));
  }
  EXPECT_LE(max_diff, 1e-5);
  RecordProperty("sam2_max_abs_diff", fmt::format("{:.3g}", max_diff));
}

TEST(Preprocess, RefusesUnknownFamilyAndBadSide) {
  io::Image img;
  img.height = 2;
  img.width = 3;
  img.rgb.assign(18, 100);
  EXPECT_EQ(sam::PreprocessImage(img, Family::kUnknown, 1024).status().kind(), ErrorKind::kUser);
  EXPECT_EQ(sam::PreprocessImage(img, Family::kSam, 0).status().kind(), ErrorKind::kUser);
  auto tiny = sam::PreprocessImage(img, Family::kSam, 1024);
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(tiny->input_h, 683);  // 2 * 1024/3 = 682.67 -> int(682.67 + 0.5)
  EXPECT_EQ(tiny->input_w, 1024);
}

TEST(Preprocess, PreprocessShapeRoundsAsGetPreprocessShape) {
  EXPECT_EQ(sam::PreprocessShape(1200, 1800, 1024), (std::pair<int64_t, int64_t>{683, 1024}));
  EXPECT_EQ(sam::PreprocessShape(1200, 1800, 512), (std::pair<int64_t, int64_t>{341, 512}));
  EXPECT_EQ(sam::PreprocessShape(1800, 1200, 1024), (std::pair<int64_t, int64_t>{1024, 683}));
  EXPECT_EQ(sam::PreprocessShape(534, 800, 1024), (std::pair<int64_t, int64_t>{684, 1024}));
  EXPECT_EQ(sam::PromptFrameInputSize(1200, 1800, Family::kEfficientVitSam),
            (std::pair<int64_t, int64_t>{683, 1024}));
  EXPECT_EQ(sam::PromptFrameInputSize(1200, 1800, Family::kSam2),
            (std::pair<int64_t, int64_t>{1024, 1024}));
}

// The manifests' `decoder_feed` holds the official predictors' point_coords (in float64 repr) for
// each prompt: SAM-1 families put clicks before box corners, SAM 2 box corners first; a padding
// point (label -1) is appended by the SAM-1 predictor.
void CheckDecoderFeed(const std::string& fixture, Family family, bool box_first) {
  const nlohmann::json m = Manifest(fixture);
  int checked = 0;
  for (const auto& [name, prompt] : m["cases"]["predictor"]["prompts"].items()) {
    std::vector<std::pair<double, double>> pts;
    auto add_points = [&] {
      if (!prompt["point_coords"].is_null()) {
        for (const auto& p : prompt["point_coords"]) pts.emplace_back(p[0].get<double>(), p[1].get<double>());
      }
    };
    auto add_box = [&] {
      if (!prompt["box"].is_null()) {
        const auto& b = prompt["box"];
        pts.emplace_back(b[0].get<double>(), b[1].get<double>());
        pts.emplace_back(b[2].get<double>(), b[3].get<double>());
      }
    };
    if (box_first) { add_box(); add_points(); } else { add_points(); add_box(); }
    const auto& feed = prompt["decoder_feed"];
    for (size_t i = 0; i < pts.size(); ++i) {
      const auto [x, y] = sam::TransformPoint(pts[i].first, pts[i].second, 1200, 1800, family);
      EXPECT_EQ(x, static_cast<float>(feed["point_coords"][i][0].get<double>())) << fixture << " " << name << " " << i;
      EXPECT_EQ(y, static_cast<float>(feed["point_coords"][i][1].get<double>())) << fixture << " " << name << " " << i;
      ++checked;
    }
  }
  EXPECT_GE(checked, 9) << fixture;
}

TEST(Preprocess, PromptTransformsMatchManifests) {
  SAMQ_REQUIRE_FIXTURES();
  CheckDecoderFeed("efficientvit-sam-mini", Family::kEfficientVitSam, false);
  // SAM and MobileSAM use the same 1024-frame arithmetic (their manifests have no decoder_feed).
  CheckDecoderFeed("efficientvit-sam-mini", Family::kSam, false);
  CheckDecoderFeed("efficientvit-sam-mini", Family::kMobileSam, false);
  CheckDecoderFeed("sam2-mini", Family::kSam2, true);
}

// UpsampleBilinear against torch: the official SamOnnxModel decoder's `masks` output is
// interpolate(low_res, 1024) → crop to the 1024-frame input size → interpolate(orig size), all
// bilinear align_corners=False, and the fixture stores both ends of that chain.
TEST(Resize, UpsampleBilinearMatchesSamOnnxMaskPostprocessing) {
  SAMQ_REQUIRE_FIXTURES();
  const Tensor low = LoadCase("sam-vit-mini", "decoder_out_low_res_masks.npy");
  const Tensor want = LoadCase("sam-vit-mini", "decoder_out_masks.npy");
  const Tensor orig = LoadCase("sam-vit-mini", "decoder_in_orig_im_size.npy");
  const int64_t oh = static_cast<int64_t>(orig.data<float>()[0]);
  const int64_t ow = static_cast<int64_t>(orig.data<float>()[1]);
  auto up = sam::UpsampleBilinear(low, 1024, 1024);
  ASSERT_TRUE(up.ok());
  const auto [ih, iw] = sam::PreprocessShape(oh, ow, 1024);
  const int64_t planes = low.dim(0) * low.dim(1);
  std::vector<float> crop(static_cast<size_t>(planes * ih * iw));
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < ih; ++y) {
      for (int64_t x = 0; x < iw; ++x) {
        crop[(p * ih + y) * iw + x] = up->data<float>()[(p * 1024 + y) * 1024 + x];
      }
    }
  }
  std::vector<float> out(static_cast<size_t>(planes * oh * ow));
  ASSERT_TRUE(sam::UpsampleBilinear(crop.data(), planes, ih, iw, out.data(), oh, ow).ok());
  ASSERT_EQ(want.numel(), static_cast<int64_t>(out.size()));
  double max_diff = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::abs(out[i] - want.data<float>()[i])));
  }
  // The fixture's two outputs are consistent to 3.6e-5 under torch's float32 arithmetic (float64
  // gives 2.0e-5, ONNX Runtime's Resize 5.5e-5; the median error is 1e-6): the documented fixture
  // tolerance for decoder outputs is 1e-4.
  EXPECT_LE(max_diff, 1e-4);
}

// SAM 2's postprocess upsamples the 256x256 low-res logits straight to the original size; the
// fixture's masks are `logits > 0` of the official predictor.
TEST(Resize, UpsampleBilinearReproducesSam2Masks) {
  SAMQ_REQUIRE_FIXTURES();
  const Tensor low = LoadCase("sam2-mini", "point1_low_res_logits.npy");  // 3 x 256 x 256
  ASSERT_EQ(low.rank(), 3);
  auto up = sam::UpsampleBilinear(low, 1200, 1800);
  ASSERT_TRUE(up.ok());
  for (int k = 0; k < 3; ++k) {
    auto png = io::ReadImage(testing::FixturesDir() / "sam2-mini" / "cases" /
                             ("point1_mask" + std::to_string(k) + ".png"));
    ASSERT_TRUE(png.ok()) << png.status().message();
    ASSERT_EQ(png->height, 1200);
    ASSERT_EQ(png->width, 1800);
    int64_t inter = 0, uni = 0, differing = 0;
    for (int64_t i = 0; i < 1200 * 1800; ++i) {
      const bool want = png->rgb[i * 3] > 127;
      const bool got = up->data<float>()[k * 1200 * 1800 + i] > 0.0f;
      inter += want && got;
      uni += want || got;
      differing += want != got;
    }
    const double iou = uni ? static_cast<double>(inter) / static_cast<double>(uni) : 1.0;
    EXPECT_GE(iou, 0.999) << "mask " << k << ": " << differing << " pixels differ";
    RecordProperty("sam2_point1_mask" + std::to_string(k) + "_differing", std::to_string(differing));
  }
}

TEST(Resize, UpsampleBilinearKnownValuesAndIdentity) {
  // torch: interpolate([[0, 1]], size=4, bilinear, align_corners=False) = [0, .25, .75, 1]
  const float row[2] = {0.0f, 1.0f};
  float out[4];
  ASSERT_TRUE(sam::UpsampleBilinear(row, 1, 1, 2, out, 1, 4).ok());
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.25f);
  EXPECT_FLOAT_EQ(out[2], 0.75f);
  EXPECT_FLOAT_EQ(out[3], 1.0f);
  const float src[6] = {1, 2, 3, 4, 5, 6};
  float same[6];
  ASSERT_TRUE(sam::UpsampleBilinear(src, 1, 2, 3, same, 2, 3).ok());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(same[i], src[i]);
  ASSERT_TRUE(sam::ResizeBilinearAntialiasFloat(src, 1, 2, 3, same, 2, 3).ok());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(same[i], src[i]);
  EXPECT_FALSE(sam::UpsampleBilinear(src, 1, 2, 3, same, 0, 3).ok());
}

TEST(Resize, AntialiasFloatAveragesWhenHalving) {
  // Halving with the triangle filter stretched to 2 input pixels: taps at offsets −1..2 around
  // each output centre with weights 1/8, 3/8, 3/8, 1/8 (edges renormalized).
  const float src[8] = {0, 8, 16, 24, 32, 40, 48, 56};
  float out[4];
  ASSERT_TRUE(sam::ResizeBilinearAntialiasFloat(src, 1, 1, 8, out, 1, 4).ok());
  EXPECT_NEAR(out[1], (8 * 1 + 16 * 3 + 24 * 3 + 32 * 1) / 8.0, 1e-5);
  EXPECT_NEAR(out[0], (0 * 3 + 8 * 3 + 16 * 1) / 7.0, 1e-5);
}

}  // namespace
}  // namespace samq
