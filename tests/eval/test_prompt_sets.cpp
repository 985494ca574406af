// Prompt sets of `samq compare`: grid positions, ground-truth box/centre prompts, prompt files.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "eval/coco_dataset.h"
#include "eval/prompt_sets.h"
#include "sam/rle.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

TEST(PromptSets, GridCellCentres) {
  const auto ps = eval::GridPrompts(100, 200, 2);
  ASSERT_EQ(ps.size(), 4u);
  // x = (i + 0.5) * w / n, y = (j + 0.5) * h / n, rows first.
  const float expect[4][2] = {{50, 25}, {150, 25}, {50, 75}, {150, 75}};
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(ps[i].prompt.points.size(), 1u);
    EXPECT_FLOAT_EQ(ps[i].prompt.points[0].x, expect[i][0]);
    EXPECT_FLOAT_EQ(ps[i].prompt.points[0].y, expect[i][1]);
    EXPECT_EQ(ps[i].prompt.points[0].label, 1);
    EXPECT_FALSE(ps[i].prompt.multimask);
  }
}

// Brute force: squared distance from pixel (x, y) to the nearest outside pixel (border = outside).
double BruteDistance(const std::vector<uint8_t>& m, int h, int w, int x, int y) {
  double best = 1e18;
  for (int yy = -1; yy <= h; ++yy)
    for (int xx = -1; xx <= w; ++xx) {
      const bool outside = yy < 0 || xx < 0 || yy >= h || xx >= w || !m[yy * w + xx];
      if (outside) best = std::min(best, double(xx - x) * (xx - x) + double(yy - y) * (yy - y));
    }
  return best;
}

TEST(PromptSets, CentrePointIsCentroidOrDeepestPixel) {
  // A filled rectangle: the centroid is inside, so it is used as it is.
  const int h = 20, w = 30;
  std::vector<uint8_t> rect(h * w, 0);
  for (int y = 4; y < 10; ++y)
    for (int x = 2; x < 12; ++x) rect[y * w + x] = 1;
  auto [cx, cy] = eval::MaskCentrePoint(rect, h, w);
  EXPECT_DOUBLE_EQ(cx, 6.5 + 0.5);  // mean of x = 2..11 is 6.5; +0.5 = pixel centre
  EXPECT_DOUBLE_EQ(cy, 6.5 + 0.5);
  // A "C": the centroid falls in the gap, so the deepest pixel is chosen.
  std::vector<uint8_t> c(h * w, 0);
  for (int y = 1; y < 19; ++y)
    for (int x = 1; x < 25; ++x)
      if (!(y >= 6 && y < 14 && x >= 8)) c[y * w + x] = 1;
  auto [px, py] = eval::MaskCentrePoint(c, h, w);
  const int ix = static_cast<int>(px - 0.5), iy = static_cast<int>(py - 0.5);
  ASSERT_TRUE(c[iy * w + ix]) << ix << "," << iy;
  double deepest = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (c[y * w + x]) deepest = std::max(deepest, BruteDistance(c, h, w, x, y));
  EXPECT_DOUBLE_EQ(BruteDistance(c, h, w, ix, iy), deepest);
  EXPECT_EQ(eval::MaskCentrePoint(std::vector<uint8_t>(h * w, 0), h, w).first, -1);
}

TEST(PromptSets, GroundTruthPromptsLieInTheirInstance) {
  const fs::path ann = testing::DataDir() / "coco-tiny" / "annotations" / "instances_val2017.json";
  SAMQ_REQUIRE_PATH(ann);
  auto ds = eval::LoadCocoDataset(ann);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  int64_t boxes = 0, points = 0, instances = 0;
  for (const auto& im : ds->images) {
    for (const auto& p : eval::GroundTruthPrompts(*ds, im)) {
      const eval::CocoAnnotation* a = nullptr;
      for (const auto& x : ds->annotations)
        if (x.id == p.annotation_id) a = &x;
      ASSERT_NE(a, nullptr);
      EXPECT_FALSE(a->iscrowd);
      if (p.kind == "gt-box") {
        ++boxes;
        ASSERT_EQ(p.prompt.boxes.size(), 1u);
        EXPECT_NEAR(p.prompt.boxes[0].x0, a->bbox[0], 1e-3);
        EXPECT_NEAR(p.prompt.boxes[0].y1, std::min(a->bbox[1] + a->bbox[3], double(im.height)), 1e-3);
      } else {
        ++points;
        ASSERT_EQ(p.kind, "gt-point");
        const auto m = sam::DecodeRle(a->rle, 1);
        const int64_t x = static_cast<int64_t>(p.prompt.points[0].x), y = static_cast<int64_t>(p.prompt.points[0].y);
        EXPECT_TRUE(m[y * im.width + x]) << "annotation " << a->id;
      }
    }
  }
  for (const auto& a : ds->annotations) instances += !a.iscrowd && sam::RleArea(a.rle) > 0;
  EXPECT_EQ(boxes, instances);
  EXPECT_EQ(points, instances);
  EXPECT_EQ(instances, 377);  // data/README.md: 377 polygon instances, all non-empty
}

fs::path WriteTemp(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("samq_eval_" + name);
  std::ofstream(p) << text;
  return p;
}

TEST(PromptSets, PromptFiles) {
  auto one = eval::LoadPromptFile(WriteTemp("one.json",
      R"([{"type": "point", "data": [10, 20], "label": 1}, {"type": "rectangle", "data": [1, 2, 30, 40]}])"));
  ASSERT_TRUE(one.ok()) << one.status().message();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].prompt.points.size(), 1u);
  EXPECT_EQ((*one)[0].prompt.boxes.size(), 1u);
  auto groups = eval::LoadPromptFile(WriteTemp("groups.json",
      R"([[{"type": "point", "data": [10, 20]}], [{"type": "point", "data": [5, 5], "label": 0}, {"type": "point", "data": [6, 6]}]])"));
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[1].prompt.points.size(), 2u);
  EXPECT_EQ((*groups)[1].prompt.points[0].label, 0);
  for (const std::string bad : {"not json", "[]", R"([{"type": "circle", "data": [1, 2]}])",
                                R"([[{"type": "point", "data": [1]}]])", R"([[], {"type": "point", "data": [1, 2]}])"}) {
    auto r = eval::LoadPromptFile(WriteTemp("bad.json", bad));
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().exit_code(), 2) << bad;
    }
  }
}

}  // namespace
}  // namespace samq
