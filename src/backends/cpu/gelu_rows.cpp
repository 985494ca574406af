#include "backends/cpu/gelu_rows.h"

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/fast_math.h"
#include "core/quantize_math.h"

namespace samq::backends::cpu {
namespace {

inline float GeluErf(float v) { return 0.5f * v * (1.0f + fastmath::Erf(v * 0.70710678118654752f)); }

}  // namespace

SAMQ_CLONES void GeluErfRowPortable(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = GeluErf(x[i]);
}

SAMQ_CLONES void GeluQuantDequantAccPortable(void* row, int64_t n, float scale, float bias, const GeluQuant& q) {
  const int32_t* acc = static_cast<const int32_t*>(row);
  float* out = static_cast<float*>(row);  // each float replaces the int32 it was computed from
  const GeluQuant k = q;                  // by value: the stores could alias a referenced q
  for (int64_t i = 0; i < n; ++i) {
    const float g = GeluErf(static_cast<float>(acc[i]) * scale + bias);
    out[i] = (QuantizeToFloat(g, k.scale, k.zero_point, k.qmin, k.qmax) - k.zero_point) * k.scale;
  }
}

SAMQ_CLONES void GeluQuantizeBytesPortable(const float* x, int64_t n, const GeluQuant& q, int32_t shift,
                                           int8_t* out) {
  const GeluQuant k = q;
  // Through int32: a u8 code above 127 with no shift wraps to its byte (C++20 modular narrowing).
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<int8_t>(
        static_cast<int32_t>(QuantizeToFloat(GeluErf(x[i]), k.scale, k.zero_point, k.qmin, k.qmax)) - shift);
}

SAMQ_CLONES void ScaleBiasGeluAccPortable(void* row, int64_t n, float scale, float bias, const float* r, bool gelu) {
  const int32_t* acc = static_cast<const int32_t*>(row);
  float* out = static_cast<float*>(row);
  if (r) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = (static_cast<float>(acc[i]) * scale + bias) + r[i];
      out[i] = gelu ? GeluErf(v) : v;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float v = static_cast<float>(acc[i]) * scale + bias;
      out[i] = gelu ? GeluErf(v) : v;
    }
  }
}

void GeluErfRow(const float* x, float* y, int64_t n) {
  if (!GeluErfRowAvx512(x, y, n)) GeluErfRowPortable(x, y, n);
}

void GeluQuantDequantAcc(void* row, int64_t n, float scale, float bias, const GeluQuant& q) {
  if (!GeluQuantDequantAccAvx512(row, n, scale, bias, q)) GeluQuantDequantAccPortable(row, n, scale, bias, q);
}

void GeluQuantizeBytes(const float* x, int64_t n, const GeluQuant& q, int32_t shift, int8_t* out) {
  if (!GeluQuantizeBytesAvx512(x, n, q, shift, out)) GeluQuantizeBytesPortable(x, n, q, shift, out);
}

void ScaleBiasGeluAcc(void* row, int64_t n, float scale, float bias, const float* r, bool gelu) {
  if (!ScaleBiasGeluAccAvx512(row, n, scale, bias, r, gelu)) ScaleBiasGeluAccPortable(row, n, scale, bias, r, gelu);
}

}  // namespace samq::backends::cpu
