// Branch-free float32 exp / erf / tanh written so the compiler can vectorize loops calling them
// (the libm versions are calls and stop vectorization). Used by the fast CPU elementwise, softmax
// and fused-activation kernels; the reference kernels keep using libm, so the op tests compare
// these against std::exp / std::erf / std::tanh (see tests/ops/test_fast_cpu_kernels.cpp).
#pragma once

#include <cstdint>
#include <cstring>

namespace samq::backends::fastmath {

// e^x: Cody-Waite range reduction x = n*ln2 + r (|r| <= ln2/2), the Cephes degree-6 minimax
// polynomial for e^r (about 1 ulp), and 2^n built in the exponent bits. Clamped to the normal
// float range: below -87.33 it returns ~1.2e-38 (not 0), above 88.72 it saturates near 3.4e38.
inline float Exp(float x) {
  x = x < -87.33f ? -87.33f : (x > 88.72f ? 88.72f : x);
  // Round to nearest by the 1.5*2^23 trick: plain adds, so the loop vectorizes (roundf is a
  // libm call without SSE4.1 / fast-math).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // n in [-126, 128]: 2^n as a float; n = 128 only when x is clamped at the top, where the
  // polynomial is < 1, so split the scale in two halves to stay finite.
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t h = ni >> 1;
  int32_t b1 = (h + 127) << 23, b2 = (ni - h + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  return p * s1 * s2;
}

// erf(x) = sign(x) * (1 - erfc(|x|)), erfc from the Chebyshev-fitted form
// t * exp(-z^2 + P(t)), t = 1 / (1 + z/2) (fractional error < 1.2e-7 on erfc, so the absolute
// error of erf stays ~1e-7 everywhere).
inline float Erf(float x) {
  const float z = x < 0 ? -x : x;
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t + -0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t + -1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t + -0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t + -1.26551223f;
  const float erfc = t * Exp(-z * z + p);
  const float r = 1.0f - erfc;
  return x < 0 ? -r : r;
}

// tanh(x) = sign(x) * (1 - 2 / (e^{2|x|} + 1)); absolute error ~1e-7 (relative error grows for
// |x| < 1e-3, where the result itself is tiny, so a small-|x| branch uses the odd series).
inline float Tanh(float x) {
  const float z = x < 0 ? -x : x;
  const float e = Exp(2.0f * z);
  float r = 1.0f - 2.0f / (e + 1.0f);
  const float z2 = z * z;
  const float series = z * (1.0f + z2 * (-1.0f / 3 + z2 * (2.0f / 15)));
  r = z < 0.05f ? series : r;
  return x < 0 ? -r : r;
}

inline float Sigmoid(float x) { return 1.0f / (1.0f + Exp(-x)); }

}  // namespace samq::backends::fastmath
