// Metrics against numpy (tests/oracles/eval_oracles.py → build/oracles/eval/metrics) and
// hand-derivable cases (identical tensors, empty masks).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "eval/metrics.h"
#include "io/npy.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

TEST(Metrics, MatchNumpyOnFixedArrays) {
  const fs::path dir = testing::OracleDir() / "eval" / "metrics";
  SAMQ_REQUIRE_PATH(dir / "expected.json");
  std::ifstream f(dir / "expected.json");
  const auto exp = nlohmann::json::parse(f);
  auto a = io::ReadNpy(dir / "a.npy");
  auto b = io::ReadNpy(dir / "b.npy");
  ASSERT_TRUE(a.ok() && b.ok());
  auto s = eval::CompareTensors(*a, *b);
  ASSERT_TRUE(s.ok()) << s.status().message();
  // Same float inputs, sums in double on both sides: only summation order differs.
  EXPECT_NEAR(s->cosine, exp["cosine"].get<double>(), 1e-12);
  EXPECT_NEAR(s->sqnr_db, exp["sqnr_db"].get<double>(), 1e-9);
  EXPECT_DOUBLE_EQ(s->max_abs_error, exp["max_abs_error"].get<double>());
  EXPECT_NEAR(s->mean_abs_error, exp["mean_abs_error"].get<double>(), 1e-12);
  EXPECT_GT(s->sqnr_db, 20.0);  // the oracle's candidate is the reference plus 5% noise

  const auto& ious = exp["mask_iou"];
  ASSERT_EQ(ious.size(), 4u);
  for (size_t i = 0; i < ious.size(); ++i) {
    auto ma = io::ReadNpy(dir / ("mask_a_" + std::to_string(i) + ".npy"));
    auto mb = io::ReadNpy(dir / ("mask_b_" + std::to_string(i) + ".npy"));
    ASSERT_TRUE(ma.ok() && mb.ok());
    EXPECT_DOUBLE_EQ(eval::MaskIoU(ma->values<uint8_t>(), mb->values<uint8_t>()), ious[i].get<double>()) << i;
  }
}

TEST(Metrics, IdenticalAndDegenerateInputs) {
  const std::vector<float> x = {1.f, -2.f, 3.f, 0.5f};
  const auto same = eval::CompareArrays(x, x);
  EXPECT_EQ(same.cosine, 1.0);
  EXPECT_TRUE(std::isinf(same.sqnr_db) && same.sqnr_db > 0);
  EXPECT_EQ(same.max_abs_error, 0.0);
  // y = 2x: cosine 1; noise = sum x^2, so SQNR = 10 log10(1) = 0 dB.
  std::vector<float> y;
  for (float v : x) y.push_back(2 * v);
  const auto twice = eval::CompareArrays(x, y);
  EXPECT_NEAR(twice.cosine, 1.0, 1e-15);
  EXPECT_NEAR(twice.sqnr_db, 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(twice.max_abs_error, 3.0);
  EXPECT_DOUBLE_EQ(twice.mean_abs_error, 6.5 / 4);
  const std::vector<float> zeros(4, 0.f);
  EXPECT_EQ(eval::CosineSimilarity(zeros, zeros), 1.0);
  EXPECT_EQ(eval::CosineSimilarity(x, zeros), 0.0);

  // Masks: both empty = 1 by convention; disjoint = 0; 2 of 3 inside pixels shared = 2/3... of the union.
  const std::vector<uint8_t> empty(6, 0), m1 = {255, 255, 0, 0, 0, 0}, m2 = {1, 255, 1, 0, 0, 0},
                             m3 = {0, 0, 0, 0, 9, 9};
  EXPECT_EQ(eval::MaskIoU(empty, empty), 1.0);
  EXPECT_EQ(eval::MaskIoU(m1, m3), 0.0);
  EXPECT_DOUBLE_EQ(eval::MaskIoU(m1, m2), 2.0 / 3.0);
  EXPECT_EQ(eval::MaskIoU(empty, m1), 0.0);
  EXPECT_DOUBLE_EQ(eval::Median({3, 1, 2, 10}), 2.5);
  EXPECT_DOUBLE_EQ(eval::Median({3, 1, 2}), 2.0);
}

TEST(Metrics, ShapeMismatchIsUserError) {
  auto a = Tensor::Zeros(DType::kFloat32, {1, 4});
  auto b = Tensor::Zeros(DType::kFloat32, {4, 1});
  auto s = eval::CompareTensors(a, b);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().exit_code(), 2);
  EXPECT_NE(s.status().message().find("1x4"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace samq
