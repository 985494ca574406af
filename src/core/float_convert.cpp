#include "core/float_convert.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace samq {
namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Decoded value of every code of an 8-bit float format with the given exponent/mantissa widths.
// `fn` formats (e4m3fn) have no infinities and one NaN pattern per sign (all ones).
std::array<float, 256> make_fp8_table(int exp_bits, int man_bits, int bias, bool fn) {
  std::array<float, 256> t{};
  for (int c = 0; c < 256; ++c) {
    int sign = c >> 7, e = (c >> man_bits) & ((1 << exp_bits) - 1), m = c & ((1 << man_bits) - 1);
    float v;
    int emax = (1 << exp_bits) - 1;
    if (fn && e == emax && m == (1 << man_bits) - 1) {
      v = std::numeric_limits<float>::quiet_NaN();
    } else if (!fn && e == emax) {
      v = m == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
    } else if (e == 0) {
      v = std::ldexp(static_cast<float>(m), 1 - bias - man_bits);
    } else {
      v = std::ldexp(1.0f + static_cast<float>(m) / (1 << man_bits), e - bias);
    }
    t[c] = sign ? -v : v;
  }
  return t;
}

const std::array<float, 256>& e4m3fn_table() {
  static const auto t = make_fp8_table(4, 3, 7, true);
  return t;
}
const std::array<float, 256>& e5m2_table() {
  static const auto t = make_fp8_table(5, 2, 15, false);
  return t;
}

// Round |f| to the nearest of the positive finite codes 0..max_code (monotonic in value), ties to
// the even code, as ONNX's reference Cast does.
uint8_t round_to_fp8(float a, const std::array<float, 256>& table, int max_code) {
  int lo = 0, hi = max_code;
  if (a >= table[max_code]) return static_cast<uint8_t>(max_code);
  while (hi - lo > 1) {  // invariant: table[lo] <= a < table[hi]
    int mid = (lo + hi) / 2;
    if (table[mid] <= a) lo = mid; else hi = mid;
  }
  float dlo = a - table[lo], dhi = table[hi] - a;
  if (dlo < dhi) return static_cast<uint8_t>(lo);
  if (dhi < dlo) return static_cast<uint8_t>(hi);
  return static_cast<uint8_t>((lo & 1) ? hi : lo);
}

}  // namespace

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0) {
    float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return float_of(sign | 0x7f800000u | (man << 13));
  return float_of(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t float_to_half(float f) {
  uint32_t x = bits_of(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return sign | (x > 0x7f800000u ? 0x7e00 : 0x7c00);
  if (x >= 0x477ff000u) return sign | 0x7c00;  // >= 65520 rounds to infinity
  if (x < 0x38800000u) {
    // Below 2^-14 the half is subnormal: adding 0.5 puts the value, rounded to nearest even in
    // units of 2^-24, into the low mantissa bits.
    float t = float_of(x) + 0.5f;
    return sign | static_cast<uint16_t>(bits_of(t) - 0x3f000000u);
  }
  uint32_t odd = (x >> 13) & 1;
  x += 0xc8000fffu + odd;  // rebias exponent (-112 << 23) and round to nearest even
  return sign | static_cast<uint16_t>(x >> 13);
}

float bf16_to_float(uint16_t b) { return float_of(static_cast<uint32_t>(b) << 16); }

uint16_t float_to_bf16(float f) {
  uint32_t x = bits_of(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7fffu + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}

float fp8e4m3fn_to_float(uint8_t v) { return e4m3fn_table()[v]; }
float fp8e5m2_to_float(uint8_t v) { return e5m2_table()[v]; }

uint8_t float_to_fp8e4m3fn(float f, bool saturate) {
  uint8_t sign = std::signbit(f) ? 0x80 : 0;
  if (std::isnan(f)) return 0x7f | sign;
  float a = std::fabs(f);
  if (a > 448.0f) return saturate ? (sign | 0x7e) : (sign | 0x7f);  // 448 is the largest finite
  return sign | round_to_fp8(a, e4m3fn_table(), 0x7e);
}

uint8_t float_to_fp8e5m2(float f, bool saturate) {
  uint8_t sign = std::signbit(f) ? 0x80 : 0;
  if (std::isnan(f)) return 0x7f | sign;
  float a = std::fabs(f);
  if (std::isinf(f)) return saturate ? (sign | 0x7b) : (sign | 0x7c);
  if (a > 57344.0f) {
    // Beyond the largest finite (57344): saturate, or infinity once past the rounding midpoint.
    if (saturate) return sign | 0x7b;
    return a >= 61440.0f ? (sign | 0x7c) : (sign | 0x7b);
  }
  return sign | round_to_fp8(a, e5m2_table(), 0x7b);
}

double element_as_double(DType t, const void* data, int64_t i) {
  switch (t) {
    case DType::kFloat32: return static_cast<const float*>(data)[i];
    case DType::kFloat64: return static_cast<const double*>(data)[i];
    case DType::kFloat16: return half_to_float(static_cast<const uint16_t*>(data)[i]);
    case DType::kBFloat16: return bf16_to_float(static_cast<const uint16_t*>(data)[i]);
    case DType::kFloat8E4M3FN: return fp8e4m3fn_to_float(static_cast<const uint8_t*>(data)[i]);
    case DType::kFloat8E5M2: return fp8e5m2_to_float(static_cast<const uint8_t*>(data)[i]);
    case DType::kInt8: case DType::kInt4: return static_cast<const int8_t*>(data)[i];
    case DType::kUInt8: case DType::kUInt4: case DType::kBool:
      return static_cast<const uint8_t*>(data)[i];
    case DType::kInt16: return static_cast<const int16_t*>(data)[i];
    case DType::kUInt16: return static_cast<const uint16_t*>(data)[i];
    case DType::kInt32: return static_cast<const int32_t*>(data)[i];
    case DType::kUInt32: return static_cast<const uint32_t*>(data)[i];
    case DType::kInt64: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
    case DType::kUInt64: return static_cast<double>(static_cast<const uint64_t*>(data)[i]);
    default: return 0.0;
  }
}

namespace {
template <typename I>
I saturating_int(double v) {
  // C++ float->int conversion of an out-of-range value is undefined; clamp first. (ONNX leaves
  // such casts implementation-defined.)
  if (std::isnan(v)) return 0;
  double lo = static_cast<double>(std::numeric_limits<I>::min());
  double hi = static_cast<double>(std::numeric_limits<I>::max());
  return static_cast<I>(std::clamp(std::trunc(v), lo, hi));
}
}  // namespace

void element_from_double(DType t, void* data, int64_t i, double v) {
  switch (t) {
    case DType::kFloat32: static_cast<float*>(data)[i] = static_cast<float>(v); break;
    case DType::kFloat64: static_cast<double*>(data)[i] = v; break;
    case DType::kFloat16: static_cast<uint16_t*>(data)[i] = float_to_half(static_cast<float>(v)); break;
    case DType::kBFloat16: static_cast<uint16_t*>(data)[i] = float_to_bf16(static_cast<float>(v)); break;
    case DType::kFloat8E4M3FN:
      static_cast<uint8_t*>(data)[i] = float_to_fp8e4m3fn(static_cast<float>(v)); break;
    case DType::kFloat8E5M2:
      static_cast<uint8_t*>(data)[i] = float_to_fp8e5m2(static_cast<float>(v)); break;
    case DType::kBool: static_cast<uint8_t*>(data)[i] = v != 0.0; break;
    case DType::kInt8: static_cast<int8_t*>(data)[i] = saturating_int<int8_t>(v); break;
    case DType::kInt4: static_cast<int8_t*>(data)[i] = std::clamp<int8_t>(saturating_int<int8_t>(v), -8, 7); break;
    case DType::kUInt8: static_cast<uint8_t*>(data)[i] = saturating_int<uint8_t>(v); break;
    case DType::kUInt4: static_cast<uint8_t*>(data)[i] = std::min<uint8_t>(saturating_int<uint8_t>(v), 15); break;
    case DType::kInt16: static_cast<int16_t*>(data)[i] = saturating_int<int16_t>(v); break;
    case DType::kUInt16: static_cast<uint16_t*>(data)[i] = saturating_int<uint16_t>(v); break;
    case DType::kInt32: static_cast<int32_t*>(data)[i] = saturating_int<int32_t>(v); break;
    case DType::kUInt32: static_cast<uint32_t*>(data)[i] = saturating_int<uint32_t>(v); break;
    case DType::kInt64: static_cast<int64_t*>(data)[i] = saturating_int<int64_t>(v); break;
    case DType::kUInt64: static_cast<uint64_t*>(data)[i] = saturating_int<uint64_t>(v); break;
    default: break;
  }
}

}  // namespace samq
