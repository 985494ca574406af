// The AVX-512 forms of backends/cpu/gelu_rows.h give the portable loops' bits exactly (compared as
// bytes, so the sign of zero counts): the fused kernels rely on it to equal the unfused graph.
// Inputs cover GELU's clamp at |x / sqrt 2| = 4, its minimum near -0.75, NaN, infinities,
// overflowing sums, exact quantization ties, saturation on both sides, u8 and s8 codes with and
// without the int8 shift, and tails of every length up to 17. Skipped (not failed) on CPUs
// without AVX-512: the callers then run the portable loops, which are the oracle here.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "backends/cpu/gelu_rows.h"

namespace samq {
namespace {

using backends::cpu::GeluQuant;

std::vector<float> FloatInputs() {
  std::vector<float> x;
  std::mt19937 gen(5);
  std::normal_distribution<float> dist(0.f, 3.f);
  for (int i = 0; i < 3000; ++i) x.push_back(dist(gen));
  for (float t = -8.f; t <= 8.f; t += 1.f / 64) x.push_back(t);  // across the clamp at +-4 sqrt 2
  for (int i = -40; i <= 40; ++i) x.push_back(-0.7518f + i * 1e-4f);  // GELU's minimum
  const float inf = std::numeric_limits<float>::infinity();
  x.insert(x.end(), {std::nanf(""), inf, -inf, 1e30f, -1e30f, 0.f, -0.f, 1e-40f, -1e-40f, 5.656854f, -5.656854f});
  return x;
}

// Sums as the integer GEMMs produce them, extremes included.
std::vector<int32_t> AccInputs() {
  std::vector<int32_t> a;
  std::mt19937 gen(6);
  std::uniform_int_distribution<int32_t> dist(-300000, 300000);
  for (int i = 0; i < 3000; ++i) a.push_back(dist(gen));
  for (int32_t v = -2000; v <= 2000; v += 7) a.push_back(v);
  a.insert(a.end(), {0, 1, -1, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
  return a;
}

std::vector<GeluQuant> Quants() {
  return {GeluQuant{0.04f, 5.f, 0.f, 255.f}, GeluQuant{0.02f, 0.f, -128.f, 127.f},
          GeluQuant{0.0137f, 128.f, 0.f, 255.f}, GeluQuant{0.5f, -7.f, -128.f, 127.f},
          GeluQuant{1.f / 64, 255.f, 0.f, 255.f}};
}

const std::vector<size_t> kLengths = {0, 1, 15, 16, 17};

bool SameBytes(const void* a, const void* b, size_t bytes) { return std::memcmp(a, b, bytes) == 0; }

TEST(GeluRows, GeluErfRowEqualsPortable) {
  const std::vector<float> x = FloatInputs();
  std::vector<size_t> lengths = kLengths;
  lengths.push_back(x.size());
  for (size_t n : lengths) {
    std::vector<float> want(n), got(n + 1, 7.f);
    backends::cpu::GeluErfRowPortable(x.data(), want.data(), static_cast<int64_t>(n));
    if (!backends::cpu::GeluErfRowAvx512(x.data(), got.data(), static_cast<int64_t>(n)))
      GTEST_SKIP() << "no AVX-512 on this CPU";
    for (size_t i = 0; i < n; ++i)
      ASSERT_TRUE(SameBytes(&want[i], &got[i], 4)) << "x " << x[i] << ": " << want[i] << " vs " << got[i];
    EXPECT_EQ(got[n], 7.f) << "wrote past the end, n " << n;
    // In place, as GeluErfInPlace calls it.
    std::vector<float> y(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_TRUE(backends::cpu::GeluErfRowAvx512(y.data(), y.data(), static_cast<int64_t>(n)));
    EXPECT_TRUE(SameBytes(y.data(), want.data(), n * 4)) << "in place, n " << n;
  }
  // The values themselves: GELU within fastmath::Erf's accuracy of the double formula.
  std::vector<float> y(x.size());
  backends::cpu::GeluErfRow(x.data(), y.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || std::fabs(x[i]) > 1e6f) continue;
    const double v = x[i], want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    EXPECT_NEAR(y[i], want, 1e-6 * std::max(1.0, std::fabs(v))) << "x " << v;
  }
}

TEST(GeluRows, GeluQuantDequantAccEqualsPortable) {
  const std::vector<int32_t> acc = AccInputs();
  std::vector<size_t> lengths = kLengths;
  lengths.push_back(acc.size());
  for (const GeluQuant& q : Quants())
    for (const auto& [scale, bias] : {std::pair{3e-5f, 0.1f}, std::pair{1e-3f, -2.f}, std::pair{1e30f, 0.f}})
      for (size_t n : lengths) {
        std::vector<int32_t> want(acc.begin(), acc.begin() + static_cast<std::ptrdiff_t>(n));
        std::vector<int32_t> got = want;
        got.push_back(12345);
        backends::cpu::GeluQuantDequantAccPortable(want.data(), static_cast<int64_t>(n), scale, bias, q);
        if (!backends::cpu::GeluQuantDequantAccAvx512(got.data(), static_cast<int64_t>(n), scale, bias, q))
          GTEST_SKIP() << "no AVX-512 on this CPU";
        for (size_t i = 0; i < n; ++i)
          ASSERT_EQ(want[i], got[i]) << "acc " << acc[i] << " scale " << scale << " bias " << bias << " q.scale "
                                     << q.scale << " zp " << q.zero_point;
        EXPECT_EQ(got[n], 12345) << "wrote past the end, n " << n;
      }
}

TEST(GeluRows, GeluQuantizeBytesEqualsPortable) {
  const std::vector<float> x = FloatInputs();
  std::vector<size_t> lengths = kLengths;
  lengths.push_back(x.size());
  for (const GeluQuant& q : Quants())
    for (int32_t shift : {0, 128}) {
      if (shift == 128 && q.qmin < 0) continue;  // the shift only ever turns u8 codes into int8
      for (size_t n : lengths) {
        std::vector<int8_t> want(n), got(n + 1, 99);
        backends::cpu::GeluQuantizeBytesPortable(x.data(), static_cast<int64_t>(n), q, shift, want.data());
        if (!backends::cpu::GeluQuantizeBytesAvx512(x.data(), static_cast<int64_t>(n), q, shift, got.data()))
          GTEST_SKIP() << "no AVX-512 on this CPU";
        for (size_t i = 0; i < n; ++i)
          ASSERT_EQ(want[i], got[i]) << "x " << x[i] << " q.scale " << q.scale << " zp " << q.zero_point;
        EXPECT_EQ(got[n], 99) << "wrote past the end, n " << n;
      }
    }
}

TEST(GeluRows, ScaleBiasGeluAccEqualsPortable) {
  const std::vector<int32_t> acc = AccInputs();
  const std::vector<float> res = FloatInputs();
  const size_t total = std::min(acc.size(), res.size());
  for (bool gelu : {false, true})
    for (bool residual : {false, true})
      for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{17}, total}) {
        std::vector<int32_t> want(acc.begin(), acc.begin() + static_cast<std::ptrdiff_t>(n));
        std::vector<int32_t> got = want;
        got.push_back(-5);
        const float* r = residual ? res.data() : nullptr;
        backends::cpu::ScaleBiasGeluAccPortable(want.data(), static_cast<int64_t>(n), 2e-5f, -0.3f, r, gelu);
        if (!backends::cpu::ScaleBiasGeluAccAvx512(got.data(), static_cast<int64_t>(n), 2e-5f, -0.3f, r, gelu))
          GTEST_SKIP() << "no AVX-512 on this CPU";
        for (size_t i = 0; i < n; ++i)
          ASSERT_EQ(want[i], got[i]) << "acc " << acc[i] << " gelu " << gelu << " residual " << residual;
        EXPECT_EQ(got[n], -5) << "wrote past the end, n " << n;
      }
}

}  // namespace
}  // namespace samq
