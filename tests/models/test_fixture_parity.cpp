// Model parity: every fixture encoder and decoder, fed the stored inputs, reproduces the stored
// outputs of the official PyTorch code (../shared/fixtures/*/cases) to max abs error <= 1e-4.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "backends/registry.h"
#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
constexpr double kTolerance = 1e-4;  // fixtures/README.md: "max abs <= 1e-4 (ORT reaches 1e-5)"

Tensor LoadNpy(const fs::path& p) {
  auto r = io::ReadNpy(p);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : Tensor();
}

// SAM-1 preprocessing of the stored resize: (rgb - mean) / std, zero pad bottom/right, NCHW.
Tensor NormalizeAndPad(const Tensor& rgb_u8, int64_t side) {
  const float mean[3] = {123.675f, 116.28f, 103.53f}, stdv[3] = {58.395f, 57.12f, 57.375f};
  int64_t h = rgb_u8.dim(0), w = rgb_u8.dim(1);
  Tensor out = Tensor::Zeros(DType::kFloat32, {1, 3, side, side});
  const uint8_t* src = rgb_u8.data<uint8_t>();
  float* dst = out.data<float>();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        dst[(c * side + y) * side + x] = (static_cast<float>(src[(y * w + x) * 3 + c]) - mean[c]) / stdv[c];
  return out;
}

std::map<std::string, Tensor> RunModel(const fs::path& model, const std::map<std::string, Tensor>& feeds) {
  auto imported = onnx::LoadModel(model);
  EXPECT_TRUE(imported.ok()) << imported.status().message();
  if (!imported.ok()) return {};
  auto session = rt::Session::Create(std::move(imported->model), backends::DefaultRegistry());
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) return {};
  auto out = (*session)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? std::move(out).value() : std::map<std::string, Tensor>{};
}

void ExpectClose(const std::string& what, const Tensor& expected, const Tensor& actual) {
  ASSERT_TRUE(actual.defined()) << what << ": output missing";
  auto d = testing::CompareTensors(expected, actual);
  ASSERT_TRUE(d.same_shape) << what << ": shape " << shape_str(actual.shape()) << ", expected "
                            << shape_str(expected.shape());
  std::printf("[parity] %-40s max abs %.3g  mean abs %.3g\n", what.c_str(), d.max_abs, d.mean_abs);
  EXPECT_LE(d.max_abs, kTolerance) << what << ": " << d.str();
  EXPECT_EQ(d.nan_mismatch, 0) << what;
}

class Sam1EncoderParity : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(Sam1EncoderParity, MatchesPyTorch) {
  SAMQ_REQUIRE_FIXTURES();
  auto [family, side] = GetParam();
  fs::path dir = testing::FixturesDir() / family;
  Tensor rgb = LoadNpy(dir / "cases/resized_rgb_u8.npy");
  auto out = RunModel(dir / "encoder.onnx", {{"image", NormalizeAndPad(rgb, side)}});
  ExpectClose(std::string(family) + " image_embeddings", LoadNpy(dir / "cases/image_embeddings.npy"),
              out["image_embeddings"]);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Sam1EncoderParity,
                         ::testing::Values(std::make_pair("sam-vit-mini", 1024),
                                           std::make_pair("mobilesam", 1024),
                                           std::make_pair("efficientvit-sam-mini", 512)),
                         [](const auto& info) {
                           std::string n = info.param.first;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

TEST(Sam2EncoderParity, MatchesPyTorch) {
  SAMQ_REQUIRE_FIXTURES();
  fs::path dir = testing::FixturesDir() / "sam2-mini";
  auto out = RunModel(dir / "encoder.onnx", {{"image", LoadNpy(dir / "cases/encoder_in_image.npy")}});
  for (const char* name : {"high_res_feats_0", "high_res_feats_1", "image_embed"})
    ExpectClose(std::string("sam2-mini ") + name, LoadNpy(dir / "cases" / (std::string(name) + ".npy")), out[name]);
}

// The shared official SAM-1 decoder, with each family's stored embedding and decoder feed.
class Sam1DecoderParity : public ::testing::TestWithParam<const char*> {};

TEST_P(Sam1DecoderParity, MatchesPyTorch) {
  SAMQ_REQUIRE_FIXTURES();
  fs::path cases = testing::FixturesDir() / GetParam() / "cases";
  std::map<std::string, Tensor> feeds{{"image_embeddings", LoadNpy(cases / "image_embeddings.npy")}};
  for (const char* in : {"point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"})
    feeds[in] = LoadNpy(cases / (std::string("decoder_in_") + in + ".npy"));
  auto out = RunModel(testing::FixturesDir() / "sam1-decoder/decoder.onnx", feeds);
  for (const char* o : {"masks", "iou_predictions", "low_res_masks"})
    ExpectClose(std::string(GetParam()) + " decoder " + o,
                LoadNpy(cases / (std::string("decoder_out_") + o + ".npy")), out[o]);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Sam1DecoderParity,
                         ::testing::Values("sam-vit-mini", "mobilesam", "efficientvit-sam-mini"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

TEST(Sam2DecoderParity, MatchesPyTorch) {
  SAMQ_REQUIRE_FIXTURES();
  fs::path dir = testing::FixturesDir() / "sam2-mini";
  fs::path cases = dir / "cases";
  std::map<std::string, Tensor> feeds;
  for (const char* in : {"image_embed", "high_res_feats_0", "high_res_feats_1"})
    feeds[in] = LoadNpy(cases / (std::string(in) + ".npy"));
  for (const char* in : {"point_coords", "point_labels", "mask_input", "has_mask_input"})
    feeds[in] = LoadNpy(cases / (std::string("decoder_in_") + in + ".npy"));
  auto out = RunModel(dir / "decoder.onnx", feeds);
  for (const char* o : {"masks", "iou_predictions"})
    ExpectClose(std::string("sam2-mini decoder ") + o,
                LoadNpy(cases / (std::string("decoder_out_") + o + ".npy")), out[o]);
}

}  // namespace
}  // namespace samq
