// The AVX-512 forms of gelu_rows.h, step for step the portable loops as GCC compiles them for
// x86-64-v4.
#include "backends/cpu/gelu_rows.h"

#include "backends/cpu/avx512_path.h"

namespace samq::backends::cpu {

#ifdef SAMQ_HAVE_AVX512_PATH
namespace {

#define SAMQ_AVX512 __attribute__((target("avx512f"), always_inline)) inline

// fastmath::Erf on 16 lanes, step for step: clamp to [-4, 4] (min/max with the constant first,
// so NaN passes through as in the scalar ternaries), then x P(x^2) / Q(x^2) with FMA Horner steps.
SAMQ_AVX512 __m512 Erf16(__m512 x) {
  const __m512 c = _mm512_min_ps(_mm512_set1_ps(4.0f), _mm512_max_ps(_mm512_set1_ps(-4.0f), x));
  const __m512 z = _mm512_mul_ps(c, c);
  __m512 p = _mm512_set1_ps(1.928134096829126e-08f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-1.9842875644826563e-06f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.00015364019782282412f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.004212771076709032f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.052178408950567245f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(0.21205511689186096f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.1283787488937378f));
  __m512 q = _mm512_set1_ps(0.0010786919156089425f);
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(0.015387692488729954f));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(0.12001412361860275f));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(0.5212570428848267f));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(1.0f));
  return _mm512_div_ps(_mm512_mul_ps(c, p), q);
}

// 0.5 * v * (1 + Erf(v * (1 / sqrt 2))), multiplied in the scalar expression's order.
SAMQ_AVX512 __m512 GeluErf16(__m512 v) {
  const __m512 e = Erf16(_mm512_mul_ps(v, _mm512_set1_ps(0.70710678118654752f)));
  return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), v), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

// rint(clamp(v / scale, qmin - zp, qmax - zp)): the code minus the zero point. QuantizeToFloat
// clamps one step wider, rounds, adds zp and clamps again; with integer limits both give the
// same integer. max(v, lo) returns lo for NaN, which QuantizeToFloat also sends to qmin.
struct QuantConsts {
  __m512 scale, lo, hi, zp;
};
SAMQ_AVX512 QuantConsts MakeQuantConsts(const GeluQuant& q) {
  return {_mm512_set1_ps(q.scale), _mm512_set1_ps(q.qmin - q.zero_point), _mm512_set1_ps(q.qmax - q.zero_point),
          _mm512_set1_ps(q.zero_point)};
}
SAMQ_AVX512 __m512 CodeMinusZeroPoint(__m512 v, const QuantConsts& k) {
  v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(v, k.scale), k.lo), k.hi);
  return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

SAMQ_AVX512 __mmask16 TailMask(int64_t left) { return static_cast<__mmask16>((1u << left) - 1); }

__attribute__((target("avx512f"))) void GeluErfRowKernel(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, GeluErf16(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, m, GeluErf16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

// (code - zp) * scale is the rounded value itself, except that QuantizeToFloat's sums turn a
// rounded -0 into +0: adding +0 does the same.
SAMQ_AVX512 __m512 GeluQuantDequant16(__m512i acc, __m512 scale, __m512 bias, const QuantConsts& k) {
  const __m512 g = GeluErf16(_mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), scale, bias));
  return _mm512_mul_ps(_mm512_add_ps(CodeMinusZeroPoint(g, k), _mm512_setzero_ps()), k.scale);
}

__attribute__((target("avx512f"))) void GeluQuantDequantAccKernel(void* row, int64_t n, float scale, float bias,
                                                                  const GeluQuant& q) {
  const int32_t* acc = static_cast<const int32_t*>(row);
  float* out = static_cast<float*>(row);
  const __m512 s = _mm512_set1_ps(scale), b = _mm512_set1_ps(bias);
  const QuantConsts k = MakeQuantConsts(q);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, GeluQuantDequant16(_mm512_loadu_si512(acc + i), s, b, k));
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_storeu_ps(out + i, m, GeluQuantDequant16(_mm512_maskz_loadu_epi32(m, acc + i), s, b, k));
  }
}

// The code as an integer (exact: a small integer-valued float), offset by zp - shift, narrowed
// by truncation, which keeps every value of [-128, 255] - shift as the scalar cast does.
SAMQ_AVX512 __m512i GeluCodes16(__m512 v, const QuantConsts& k, __m512i offset) {
  return _mm512_add_epi32(_mm512_cvtps_epi32(CodeMinusZeroPoint(GeluErf16(v), k)), offset);
}

__attribute__((target("avx512f"))) void GeluQuantizeBytesKernel(const float* x, int64_t n, const GeluQuant& q,
                                                                int32_t shift, int8_t* out) {
  const QuantConsts k = MakeQuantConsts(q);
  const __m512i offset = _mm512_set1_epi32(static_cast<int32_t>(q.zero_point) - shift);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm512_cvtepi32_epi8(GeluCodes16(_mm512_loadu_ps(x + i), k, offset)));
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    _mm512_mask_cvtepi32_storeu_epi8(out + i, m, GeluCodes16(_mm512_maskz_loadu_ps(m, x + i), k, offset));
  }
}

__attribute__((target("avx512f"))) void ScaleBiasGeluAccKernel(void* row, int64_t n, float scale, float bias,
                                                               const float* r, bool gelu) {
  const int32_t* acc = static_cast<const int32_t*>(row);
  float* out = static_cast<float*>(row);
  const __m512 s = _mm512_set1_ps(scale), b = _mm512_set1_ps(bias);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(acc + i)), s, b);
    if (r) v = _mm512_add_ps(v, _mm512_loadu_ps(r + i));
    _mm512_storeu_ps(out + i, gelu ? GeluErf16(v) : v);
  }
  if (i < n) {
    const __mmask16 m = TailMask(n - i);
    __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, acc + i)), s, b);
    if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i));
    _mm512_mask_storeu_ps(out + i, m, gelu ? GeluErf16(v) : v);
  }
}

}  // namespace
#endif

bool GeluErfRowAvx512(const float* x, float* y, int64_t n) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (!CpuHasAvx512F()) return false;
  GeluErfRowKernel(x, y, n);
  return true;
#else
  return false;
#endif
}

bool GeluQuantDequantAccAvx512(void* row, int64_t n, float scale, float bias, const GeluQuant& q) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (!CpuHasAvx512F()) return false;
  GeluQuantDequantAccKernel(row, n, scale, bias, q);
  return true;
#else
  return false;
#endif
}

bool GeluQuantizeBytesAvx512(const float* x, int64_t n, const GeluQuant& q, int32_t shift, int8_t* out) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (!CpuHasAvx512F()) return false;
  GeluQuantizeBytesKernel(x, n, q, shift, out);
  return true;
#else
  return false;
#endif
}

bool ScaleBiasGeluAccAvx512(void* row, int64_t n, float scale, float bias, const float* r, bool gelu) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (!CpuHasAvx512F()) return false;
  ScaleBiasGeluAccKernel(row, n, scale, bias, r, gelu);
  return true;
#else
  return false;
#endif
}

}  // namespace samq::backends::cpu
