// The scalar arithmetic of ONNX QuantizeLinear / DequantizeLinear for 8-bit integer targets,
// shared by the QDQ folding pass (weights quantized at load), the reference kernels of samq's
// internal quantized ops and the oneDNN integer kernels (activations quantized per run), so all
// of them round exactly like the reference QuantizeLinear (backends/reference/quant.cpp):
//   q = clamp(rint(x / scale) + zero_point, qmin, qmax)   rint = round half to even,
//       the quotient computed in float32; NaN quantizes to qmin.
//   x' = (float(q) - float(zero_point)) * scale
#pragma once

#include <cstdint>

namespace samq {

// Round to nearest, ties to even, for |v| <= 2^22: v + 1.5 * 2^23 lands in [2^23, 2^24), where
// float spacing is exactly 1, so the add rounds v to an integer in the current (default:
// nearest-even) mode, and subtracting the constant back is exact. Unlike std::nearbyint this is
// plain arithmetic, which the compiler vectorizes (quantizing is a memory pass over every
// activation of a QDQ model, so it must run at memory speed).
inline float RoundHalfEvenSmall(float v) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (v + kMagic) - kMagic;
}

// clamp(rint(x / scale) + zero_point, qmin, qmax) for 8/16-bit targets (|qmin|, |qmax| <= 2^16).
inline float QuantizeToFloat(float x, float scale, float zero_point, float qmin, float qmax) {
  float v = x / scale;
  // Clamp just outside the representable range first: values beyond it saturate either way, the
  // rounding trick needs |v| small, and NaN (every comparison false) lands on qmin.
  const float lo = qmin - zero_point - 1.f, hi = qmax - zero_point + 1.f;
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  v = RoundHalfEvenSmall(v) + zero_point;
  return v < qmin ? qmin : (v > qmax ? qmax : v);
}

template <typename Q>
inline Q QuantizeScalar(float x, float scale, int32_t zero_point);

template <>
inline uint8_t QuantizeScalar<uint8_t>(float x, float scale, int32_t zero_point) {
  return static_cast<uint8_t>(QuantizeToFloat(x, scale, static_cast<float>(zero_point), 0.f, 255.f));
}
template <>
inline int8_t QuantizeScalar<int8_t>(float x, float scale, int32_t zero_point) {
  return static_cast<int8_t>(QuantizeToFloat(x, scale, static_cast<float>(zero_point), -128.f, 127.f));
}

inline float DequantizeScalar(int32_t q, float scale, int32_t zero_point) {
  return (static_cast<float>(q) - static_cast<float>(zero_point)) * scale;
}

}  // namespace samq
