// `--precision bf16` (ComputePrecision::kBFloat16) against the float32 engine on every fixture
// family: the encoder's MatMuls really run on onednn.matmul_bf16, its features stay close to the
// float32 ones, and the masks of every fixture prompt (the official predictor cases) overlap the
// float32 masks. bfloat16 keeps 8 significant bits (relative rounding 2^-9 per operand), so the
// bounds are loose by design: features within 5% of their float32 range, mask IoU >= 0.9
// (random-weight fixture masks are noise blobs with long borders, the worst case for IoU). The
// measured values are printed ("[bf16] ...") for the report.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/image.h"
#include "sam/predictor.h"
#include "support/compare.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

struct FamilyCase {
  const char* dir;
  const char* decoder;  // relative to fixtures/
};

double MaskIou(const sam::BinaryMask& a, const sam::BinaryMask& b) {
  int64_t inter = 0, uni = 0;
  for (int64_t i = 0; i < a.height * a.width; ++i) {
    const bool x = a.pixels[i] != 0, y = b.pixels[i] != 0;
    inter += x && y;
    uni += x || y;
  }
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

sam::Prompt PromptFromManifest(const nlohmann::json& spec) {
  sam::Prompt prompt;
  prompt.multimask = spec["multimask"].get<bool>();
  if (!spec["point_coords"].is_null())
    for (size_t i = 0; i < spec["point_coords"].size(); ++i)
      prompt.points.push_back({spec["point_coords"][i][0].get<float>(), spec["point_coords"][i][1].get<float>(),
                               spec["point_labels"][i].get<int>()});
  if (!spec["box"].is_null())
    prompt.boxes.push_back({spec["box"][0].get<float>(), spec["box"][1].get<float>(), spec["box"][2].get<float>(),
                            spec["box"][3].get<float>()});
  return prompt;
}

class Bf16Precision : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(Bf16Precision, CloseToFloat32) {
  SAMQ_REQUIRE_FIXTURES();
  const FamilyCase& fc = GetParam();
  const fs::path dir = testing::FixturesDir() / fc.dir;
  std::ifstream mf(dir / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(mf);
  auto image = io::ReadImage(testing::FixturesDir() / "images" /
                             manifest["cases"]["predictor"]["image"].get<std::string>());
  ASSERT_TRUE(image.ok()) << image.status().message();

  sam::PredictorOptions f32_opts, bf16_opts;
  bf16_opts.precision = rt::ComputePrecision::kBFloat16;
  auto f32 = sam::Predictor::Create(dir / "encoder.onnx", testing::FixturesDir() / fc.decoder, f32_opts);
  auto bf16 = sam::Predictor::Create(dir / "encoder.onnx", testing::FixturesDir() / fc.decoder, bf16_opts);
  ASSERT_TRUE(f32.ok()) << f32.status().message();
  ASSERT_TRUE(bf16.ok()) << bf16.status().message();
  ASSERT_TRUE((*f32)->SetImage(*image).ok());
  ASSERT_TRUE((*bf16)->SetImage(*image).ok());

  // The encoder's MatMuls are on the bfloat16 kernel (where oneDNN supports bf16 on this CPU).
  auto model = sam::SamModel::Load(dir / "encoder.onnx", testing::FixturesDir() / fc.decoder, bf16_opts);
  ASSERT_TRUE(model.ok()) << model.status().message();
  int matmuls = 0, on_bf16 = 0;
  for (const auto& c : (*model)->encoder().kernel_choices()) {
    if (c.op_type != "MatMul") continue;
    ++matmuls;
    on_bf16 += c.kernel == "onednn.matmul_bf16";
  }
  std::printf("[bf16] %-22s encoder MatMuls on onednn.matmul_bf16: %d of %d\n", fc.dir, on_bf16, matmuls);
  EXPECT_EQ(on_bf16, matmuls);

  for (const auto& [name, want] : (*f32)->features()) {
    const Tensor& got = (*bf16)->features().at(name);
    auto d = testing::CompareTensors(want, got);
    ASSERT_TRUE(d.same_shape) << name;
    double range = 0;
    for (double v : want.AsDoubleVector()) range = std::max(range, std::fabs(v));
    std::printf("[bf16] %-22s feature %-18s max abs diff %.4g (max |f32| %.4g, ratio %.4f)\n", fc.dir, name.c_str(),
                d.max_abs, range, d.max_abs / std::max(range, 1e-12));
    EXPECT_LE(d.max_abs, 0.05 * range) << name;
  }

  for (const auto& [name, spec] : manifest["cases"]["predictor"]["prompts"].items()) {
    SCOPED_TRACE(std::string(fc.dir) + " " + name);
    const sam::Prompt prompt = PromptFromManifest(spec);
    auto a = (*f32)->Predict(prompt);
    auto b = (*bf16)->Predict(prompt);
    ASSERT_TRUE(a.ok()) << a.status().message();
    ASSERT_TRUE(b.ok()) << b.status().message();
    ASSERT_EQ(a->masks.size(), b->masks.size());
    for (size_t k = 0; k < a->masks.size(); ++k) {
      const double iou = MaskIou(a->masks[k].mask, b->masks[k].mask);
      std::printf("[bf16] %-22s %-10s mask %zu: IoU vs fp32 %.5f  score %.5f vs %.5f\n", fc.dir, name.c_str(), k,
                  iou, b->masks[k].score, a->masks[k].score);
      EXPECT_GE(iou, 0.9);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Bf16Precision,
                         ::testing::Values(FamilyCase{"sam-vit-mini", "sam1-decoder/decoder.onnx"},
                                           FamilyCase{"mobilesam", "sam1-decoder/decoder.onnx"},
                                           FamilyCase{"efficientvit-sam-mini", "sam1-decoder/decoder.onnx"},
                                           FamilyCase{"sam2-mini", "sam2-mini/decoder.onnx"}),
                         [](const auto& info) {
                           std::string n = info.param.dir;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace samq
