// Every predictor case of every fixture family, through samq's own Predictor (image decoding,
// preprocessing, encoder, prompt layout, decoder adapter, mask selection, postprocessing):
// masks IoU >= 0.99 with the official predictor's PNGs, low-res logits within 1e-3, scores within
// 1e-3 (fixtures/README.md gives the tolerances the references support).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/image.h"
#include "io/npy.h"
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

double Iou(const sam::BinaryMask& a, const io::Image& png) {
  int64_t inter = 0, uni = 0;
  for (int64_t i = 0; i < a.height * a.width; ++i) {
    bool x = a.pixels[i] != 0, y = png.rgb[i * 3] != 0;
    inter += x && y;
    uni += x || y;
  }
  return uni == 0 ? 1.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

class PredictorCases : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(PredictorCases, MatchOfficialPredictor) {
  SAMQ_REQUIRE_FIXTURES();
  const FamilyCase& fc = GetParam();
  fs::path dir = testing::FixturesDir() / fc.dir;
  std::ifstream mf(dir / "manifest.json");
  nlohmann::json manifest = nlohmann::json::parse(mf);
  auto predictor = sam::Predictor::Create(dir / "encoder.onnx", testing::FixturesDir() / fc.decoder);
  ASSERT_TRUE(predictor.ok()) << predictor.status().message();
  auto image = io::ReadImage(testing::FixturesDir() / "images" / manifest["cases"]["predictor"]["image"].get<std::string>());
  ASSERT_TRUE(image.ok()) << image.status().message();
  ASSERT_TRUE((*predictor)->SetImage(*image).ok());

  for (const auto& [name, spec] : manifest["cases"]["predictor"]["prompts"].items()) {
    SCOPED_TRACE(std::string(fc.dir) + " " + name);
    sam::Prompt prompt;
    prompt.multimask = spec["multimask"].get<bool>();
    if (!spec["point_coords"].is_null())
      for (size_t i = 0; i < spec["point_coords"].size(); ++i)
        prompt.points.push_back({spec["point_coords"][i][0].get<float>(), spec["point_coords"][i][1].get<float>(),
                                 spec["point_labels"][i].get<int>()});
    if (!spec["box"].is_null())
      prompt.boxes.push_back({spec["box"][0].get<float>(), spec["box"][1].get<float>(),
                              spec["box"][2].get<float>(), spec["box"][3].get<float>()});
    auto pred = (*predictor)->Predict(prompt);
    ASSERT_TRUE(pred.ok()) << pred.status().message();

    auto iou = io::ReadNpy(dir / "cases" / (name + "_iou.npy"));
    auto low = io::ReadNpy(dir / "cases" / (name + "_low_res_logits.npy"));
    ASSERT_TRUE(iou.ok() && low.ok());
    auto want_scores = iou->AsDoubleVector();
    ASSERT_EQ(pred->masks.size(), want_scores.size());
    for (size_t k = 0; k < pred->masks.size(); ++k) {
      auto png = io::ReadImage(dir / "cases" / (name + "_mask" + std::to_string(k) + ".png"));
      ASSERT_TRUE(png.ok()) << png.status().message();
      double mask_iou = Iou(pred->masks[k].mask, *png);
      std::printf("[predictor] %-22s %-10s mask %zu: IoU %.5f  score %.5f (official %.5f)\n", fc.dir,
                  name.c_str(), k, mask_iou, pred->masks[k].score, want_scores[k]);
      EXPECT_GE(mask_iou, 0.99);
      EXPECT_NEAR(pred->masks[k].score, want_scores[k], 1e-3);
    }
    Tensor want_low = low->Reshaped({1, static_cast<int64_t>(want_scores.size()), 256, 256});
    auto d = testing::CompareTensors(want_low, pred->low_res_logits);
    ASSERT_TRUE(d.same_shape) << shape_str(pred->low_res_logits.shape()) << " vs " << shape_str(low->shape());
    std::printf("[predictor] %-22s %-10s low-res logits max abs %.3g\n", fc.dir, name.c_str(), d.max_abs);
    EXPECT_LE(d.max_abs, 1e-3) << d.str();
  }
}

// The official SAM-1 export upsamples all four candidate masks to the image size inside the graph;
// the predictor drops that output so only the masks it returns are upsampled (by PostprocessMasks,
// whose agreement with the official masks MatchOfficialPredictor checks).
TEST(PredictorDecoder, UpsamplesOnlyTheReturnedMasks) {
  SAMQ_REQUIRE_FIXTURES();
  auto model = sam::SamModel::Load(testing::FixturesDir() / "mobilesam" / "encoder.onnx",
                                   testing::FixturesDir() / "sam1-decoder" / "decoder.onnx", {});
  ASSERT_TRUE(model.ok()) << model.status().message();
  const rt::Session& decoder = (*model)->decoder();
  std::vector<std::string> outputs;
  for (const auto& o : decoder.outputs()) outputs.push_back(o.name);
  EXPECT_EQ(outputs, (std::vector<std::string>{"iou_predictions", "low_res_masks"}));
  for (const auto& k : decoder.kernel_choices())
    EXPECT_TRUE(k.op_type.find("Resize") == std::string::npos) << k.node << " (" << k.op_type << ") still runs";
  // orig_im_size is still accepted: the adapter feeds it whatever the graph needs.
  bool takes_size = false;
  for (const auto& i : decoder.inputs()) takes_size = takes_size || i.name == "orig_im_size";
  EXPECT_TRUE(takes_size);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PredictorCases,
                         ::testing::Values(FamilyCase{"sam-vit-mini", "sam1-decoder/decoder.onnx"},
                                           FamilyCase{"mobilesam", "sam1-decoder/decoder.onnx"},
                                           FamilyCase{"efficientvit-sam-mini", "sam1-decoder/decoder.onnx"},
                                           FamilyCase{"sam2-mini", "sam2-mini/decoder.onnx"}),
                         [](const auto& info) {
                           std::string n = info.param.dir;
                           for (char& c : n) if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace samq
