// COCO ground truth and mask AP against pycocotools (tests/oracles/eval_oracles.py):
//  * every annotation of coco-tiny val2017 + train2017 (852 instances: polygons and crowd RLE)
//    decoded by samq must give exactly pycocotools' annToRLE (same counts string, same area);
//  * mask AP / AP50 / AP75 on synthetic result sets must equal COCOeval's stats.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "eval/coco_dataset.h"
#include "eval/coco_masks.h"
#include "eval/mask_ap.h"
#include "sam/rle.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

fs::path Annotations(const std::string& split) {
  return testing::DataDir() / "coco-tiny" / "annotations" / ("instances_" + split + ".json");
}

TEST(CocoMasks, PixelExactWithPycocotoolsOnEveryAnnotation) {
  const fs::path oracle = testing::OracleDir() / "eval" / "coco_masks.json";
  SAMQ_REQUIRE_PATH(oracle);
  std::ifstream f(oracle);
  const auto entries = nlohmann::json::parse(f);
  std::map<std::string, eval::CocoDataset> sets;
  for (const std::string split : {"val2017", "train2017"}) {
    SAMQ_REQUIRE_PATH(Annotations(split));
    auto ds = eval::LoadCocoDataset(Annotations(split));
    ASSERT_TRUE(ds.ok()) << ds.status().message();
    sets[split] = std::move(*ds);
  }
  int64_t checked = 0, polygons = 0, crowd = 0;
  for (const auto& e : entries) {
    const auto& ds = sets[e["split"].get<std::string>()];
    const int64_t id = e["id"].get<int64_t>();
    const eval::CocoAnnotation* ann = nullptr;
    for (const auto& a : ds.annotations)
      if (a.id == id) ann = &a;
    ASSERT_NE(ann, nullptr) << id;
    EXPECT_EQ(ann->rle.height, e["size"][0].get<int64_t>());
    EXPECT_EQ(ann->rle.width, e["size"][1].get<int64_t>());
    EXPECT_EQ(sam::RleToString(ann->rle), e["counts"].get<std::string>()) << "annotation " << id;
    EXPECT_EQ(sam::RleArea(ann->rle), e["area"].get<int64_t>()) << "annotation " << id;
    ++checked;
    (ann->iscrowd ? crowd : polygons)++;
  }
  EXPECT_EQ(checked, 382 + 470);  // data/README.md: 382 val + 470 train instances
  EXPECT_EQ(checked, static_cast<int64_t>(sets["val2017"].annotations.size() + sets["train2017"].annotations.size()));
  EXPECT_GE(crowd, 5);
}

TEST(CocoMasks, PolygonHandCases) {
  // A 4x4 square covering pixels x 1..3 and y 1..3 of a 6x6 image (pixel centres 1, 2, 3 lie inside
  // [0.5, 3.5]); pycocotools rasterizes it to exactly those 9 pixels.
  const auto rle = eval::PolygonToRle({0.5, 0.5, 3.5, 0.5, 3.5, 3.5, 0.5, 3.5}, 6, 6);
  const auto px = sam::DecodeRle(rle, 1);
  int64_t inside = 0;
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) {
      const bool expect = x >= 1 && x <= 3 && y >= 1 && y <= 3;
      EXPECT_EQ(px[y * 6 + x] != 0, expect) << x << "," << y;
      inside += px[y * 6 + x] != 0;
    }
  EXPECT_EQ(inside, 9);
  EXPECT_EQ(sam::RleArea(eval::PolygonToRle({}, 3, 3)), 0);
}

TEST(CocoMasks, MalformedSegmentationsAreUserErrors) {
  using nlohmann::json;
  for (const json& bad : {json::parse("[[1, 2, 3]]"), json::parse("{\"counts\": [1, 2]}"),
                          json::parse("{\"counts\": [1, 2], \"size\": [5, 5]}"),
                          json::parse("{\"counts\": \"###\", \"size\": [2, 2]}"), json::parse("[[1, 2, \"x\", 4, 5, 6]]"),
                          json::parse("42")}) {
    auto r = eval::SegmentationToRle(bad, 2, 2, "test");
    EXPECT_FALSE(r.ok()) << bad.dump();
    if (!r.ok()) {
      EXPECT_EQ(r.status().exit_code(), 2);
    }
  }
}

TEST(MaskAp, MatchesCocoEval) {
  const fs::path dir = testing::OracleDir() / "eval" / "ap";
  SAMQ_REQUIRE_PATH(dir / "expected.json");
  auto gt = eval::LoadCocoDataset(Annotations("val2017"));
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  std::ifstream f(dir / "expected.json");
  const auto expected = nlohmann::json::parse(f);
  ASSERT_GE(expected.size(), 3u);
  for (const auto& [name, exp] : expected.items()) {
    auto dets = eval::LoadCocoResults(dir / (name + ".json"), *gt);
    ASSERT_TRUE(dets.ok()) << dets.status().message();
    ASSERT_EQ(static_cast<int64_t>(dets->size()), exp["detections"].get<int64_t>());
    const auto ap = eval::EvaluateMaskAp(*gt, *dets);
    // COCOeval adds eps = 2.2e-16 to precision denominators; otherwise the same arithmetic.
    EXPECT_NEAR(ap.ap, exp["ap"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(ap.ap50, exp["ap50"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(ap.ap75, exp["ap75"].get<double>(), 1e-12) << name;
    std::printf("%s: AP %.6f AP50 %.6f AP75 %.6f (pycocotools %.6f %.6f %.6f)\n", name.c_str(), ap.ap, ap.ap50,
                ap.ap75, exp["ap"].get<double>(), exp["ap50"].get<double>(), exp["ap75"].get<double>());
  }
}

TEST(MaskAp, PerfectPredictionsScoreOne) {
  // The ground truth itself, one detection per non-crowd instance: every match has IoU 1.
  auto gt = eval::LoadCocoDataset(Annotations("val2017"));
  if (!gt.ok()) GTEST_SKIP() << gt.status().message();
  std::vector<eval::CocoDetection> dets;
  for (const auto& a : gt->annotations)
    if (!a.iscrowd) dets.push_back({a.image_id, a.category_id, 0.5, a.rle});
  const auto ap = eval::EvaluateMaskAp(*gt, dets);
  EXPECT_DOUBLE_EQ(ap.ap, 1.0);
  EXPECT_GT(ap.categories, 10);
}

TEST(MaskAp, RleIoUHandCases) {
  // 1x4 images (column-major = row-major here): dt = pixels 0,1; gt = pixels 1,2.
  const sam::Rle dt{1, 4, {0, 2, 2}}, gt{1, 4, {1, 2, 1}}, empty{1, 4, {4}};
  EXPECT_DOUBLE_EQ(eval::RleIoU(dt, gt, false), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(eval::RleIoU(dt, gt, true), 1.0 / 2.0);  // crowd: intersection / detection area
  EXPECT_EQ(eval::RleIoU(empty, gt, false), 0.0);
}

}  // namespace
}  // namespace samq
