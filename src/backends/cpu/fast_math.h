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

// erf(x) = x P(x^2) / Q(x^2) on [-4, 4], x clamped to it outside (erf(4) rounds to 1 in float):
// a rational fit (degrees 6 and 4 in x^2, weighted least squares against libm's erf in double;
// max |error| 6e-8 in double, 3.6e-7 evaluated in float, near |x| = 3.4). Ten FMAs and one
// division: the exp-based erfc form it replaced cost about 3x as much per element, and GELU
// (0.5 x (1 + erf(x / sqrt 2))) runs over every expanded activation of MobileSAM's first stage.
// NaN stays NaN (both clamps compare false).
inline float Erf(float x) {
  const float c = x < -4.0f ? -4.0f : (x > 4.0f ? 4.0f : x);
  const float z = c * c;
  float p = 1.928134096829126e-08f;
  p = p * z + -1.9842875644826563e-06f;
  p = p * z + 0.00015364019782282412f;
  p = p * z + 0.004212771076709032f;
  p = p * z + 0.052178408950567245f;
  p = p * z + 0.21205511689186096f;
  p = p * z + 1.1283787488937378f;
  float q = 0.0010786919156089425f;
  q = q * z + 0.015387692488729954f;
  q = q * z + 0.12001412361860275f;
  q = q * z + 0.5212570428848267f;
  q = q * z + 1.0f;
  return c * p / q;
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
