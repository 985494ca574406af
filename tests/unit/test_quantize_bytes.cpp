// cpu::QuantizeBytesAvx512 gives the bytes of the portable QuantizeLinear arithmetic
// (core/quantize_math.h) exactly: ties to even, saturation, NaN and infinities, uint8 and int8,
// the int8 shift of uint8 codes, tails of every length. Skipped (not failed) on CPUs without
// AVX-512: the callers then run the portable loop, which is the oracle here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "backends/cpu/quantize_bytes.h"
#include "core/quantize_math.h"

namespace samq {
namespace {

TEST(QuantizeBytes, EqualsPortableQuantizeLinear) {
  std::vector<float> x;
  std::mt19937 gen(3);
  std::normal_distribution<float> dist(0.f, 3.f);
  for (int i = 0; i < 4000; ++i) x.push_back(dist(gen));
  for (float t = -300.5f; t <= 300.5f; t += 0.5f) x.push_back(t * 0.02f);  // exact ties at s = 0.02
  const float inf = std::numeric_limits<float>::infinity();
  x.insert(x.end(), {std::nanf(""), inf, -inf, 1e30f, -1e30f, 0.f, -0.f});
  struct Params {
    float s;
    int32_t zp, qmin, qmax, shift;
  };
  for (const Params& p : {Params{0.02f, 128, 0, 255, 0}, Params{0.02f, 0, -128, 127, 0},
                          Params{0.0137f, 3, 0, 255, 128}, Params{0.5f, -7, -128, 127, 0},
                          Params{0.02f, 255, 0, 255, 128}}) {
    for (size_t n : {x.size(), size_t{1}, size_t{15}, size_t{17}, size_t{0}}) {
      std::vector<uint8_t> got(n + 1, 0xAB), want(n);
      for (size_t i = 0; i < n; ++i) {
        const float q = QuantizeToFloat(x[i], p.s, static_cast<float>(p.zp), static_cast<float>(p.qmin),
                                        static_cast<float>(p.qmax));
        want[i] = static_cast<uint8_t>(static_cast<int32_t>(q) - p.shift);
      }
      if (!backends::cpu::QuantizeBytesAvx512(x.data(), static_cast<int64_t>(n), p.s, p.zp, p.qmin, p.qmax, p.shift,
                                              got.data()))
        GTEST_SKIP() << "no AVX-512 on this CPU";
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(got[i], want[i]) << "x " << x[i] << " scale " << p.s << " zp " << p.zp << " n " << n;
      EXPECT_EQ(got[n], 0xAB) << "wrote past the end, n " << n;
    }
  }
}

}  // namespace
}  // namespace samq
