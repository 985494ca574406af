// Calibration observers: hand-derivable cases, and the clip searches against a numpy
// re-implementation (tests/oracles/quant_observers.py) on a realistic histogram.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "io/npy.h"
#include "quant/calib/observers.h"
#include "support/run_cli.h"

namespace samq::quant {
namespace {

namespace fs = std::filesystem;

TEST(Observers, MinMaxIgnoresNanAndTracksExtremes) {
  MinMax m;
  std::vector<float> a = {0.5f, -2.f, NAN, 3.f};
  m.Add(a.data(), a.size());
  EXPECT_TRUE(m.seen);
  EXPECT_EQ(m.min, -2.f);
  EXPECT_EQ(m.max, 3.f);
  EXPECT_EQ(m.amax(), 3.0);
}

TEST(Observers, HistogramBinsAbsoluteValues) {
  AbsHistogram h;
  h.range = 2.0;  // bin width 2/2048 = 1/1024
  std::vector<float> a = {0.f, 0.5f, 1.f, -1.f, 2.f, 5.f};
  h.Add(a.data(), a.size());
  EXPECT_EQ(h.counts[0], 1);     // 0
  EXPECT_EQ(h.counts[512], 1);   // 0.5 * 1024
  EXPECT_EQ(h.counts[1024], 2);  // |±1| * 1024
  EXPECT_EQ(h.counts[2047], 2);  // 2 and 5 are at or past the range: last bin
}

TEST(Observers, PercentileHandCase) {
  AbsHistogram h;
  h.range = 2048;  // width 1
  for (int b = 0; b < 10; ++b) h.counts[b] = 10;  // 100 values in [0, 10)
  EXPECT_DOUBLE_EQ(PercentileThreshold(h, 50), 5.0);    // cumulative 50 reached at bin 4 -> edge 5
  EXPECT_DOUBLE_EQ(PercentileThreshold(h, 100), 10.0);
  EXPECT_DOUBLE_EQ(PercentileThreshold(h, 9.5), 1.0);
}

TEST(Observers, EmptyHistogramGivesZero) {
  AbsHistogram h;
  h.range = 1;
  EXPECT_EQ(EntropyThreshold(h, 128), 0);
  EXPECT_EQ(PercentileThreshold(h, 99), 0);
  EXPECT_EQ(MseThreshold(h, 127), 0);
}

// A flat distribution has no outliers worth clipping: every method keeps (nearly) the range.
TEST(Observers, UniformDistributionIsNotClipped) {
  AbsHistogram h;
  h.range = 1.0;
  for (auto& c : h.counts) c = 100;
  EXPECT_GT(MseThreshold(h, 127), 0.99);
  EXPECT_GT(EntropyThreshold(h, 128), 0.95);
}

// Gaussian bulk plus rare large outliers: the histogram methods must clip well below the max.
TEST(Observers, ClipSearchesMatchNumpy) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(200000);
  for (auto& v : x) v = normal(rng);
  for (int i = 0; i < 20; ++i) x[i * 997] = 40.f + i;  // outliers up to 59
  MinMax mm;
  mm.Add(x.data(), x.size());
  AbsHistogram h;
  h.range = mm.amax();
  h.Add(x.data(), x.size());

  const fs::path dir = fs::temp_directory_path() / "samq_quant_observers";
  fs::create_directories(dir);
  ASSERT_TRUE(io::WriteNpy(dir / "hist.npy", Tensor::FromVector<double>({kHistogramBins}, h.counts)).ok());
  auto r = testing::RunProgram("python3", {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/quant_observers.py",
                                           (dir / "hist.npy").string(), fmt::format("{:.17g}", h.range),
                                           (dir / "out.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream f(dir / "out.json");
  auto want = nlohmann::json::parse(f);
  const double w = h.bin_width();
  // Same algorithm, same histogram: the same bin is chosen (tolerance: float rounding of the edge).
  auto near = [&](double got, const char* key) {
    EXPECT_NEAR(got, want[key].get<double>(), 1e-9 * h.range) << key << " (bin width " << w << ")";
  };
  near(EntropyThreshold(h, 128), "entropy_128");
  near(EntropyThreshold(h, 256), "entropy_256");
  near(PercentileThreshold(h, 99.0), "percentile_99");
  near(PercentileThreshold(h, 99.9), "percentile_99.9");
  near(PercentileThreshold(h, 99.99), "percentile_99.99");
  near(MseThreshold(h, 127), "mse_127");
  near(MseThreshold(h, 255), "mse_255");
  // Entropy and percentile clip the outliers (max is ~59, the bulk is within ~5). MSE rightly keeps
  // them here: clipping 20 values near 50 down to ~5 costs 20 * 45^2 ~ 4e4, more than the rounding
  // noise of the wide grid, 2e5 * (59/127)^2 / 12 ~ 3.6e3.
  EXPECT_LT(EntropyThreshold(h, 128), 20.0);
  EXPECT_GT(MseThreshold(h, 127), 40.0);
  EXPECT_LT(PercentileThreshold(h, 99.9), 6.0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace samq::quant
