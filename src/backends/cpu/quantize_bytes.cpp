#include "backends/cpu/quantize_bytes.h"

#include "backends/cpu/avx512_path.h"
#include "core/quantize_math.h"

namespace samq::backends::cpu {

#ifdef SAMQ_HAVE_AVX512_PATH
namespace {

__attribute__((target("avx512f,avx512bw"))) void QuantizeBytesKernel(const float* x, int64_t n, float scale,
                                                                     int32_t zp, int32_t qmin, int32_t qmax,
                                                                     int32_t shift, uint8_t* out) {
  const __m512 s = _mm512_set1_ps(scale);
  // Clamp the quotient just outside the integer range (as QuantizeToFloat does) so the
  // conversion cannot overflow; max(v, lo) returns lo for NaN.
  const __m512 lo = _mm512_set1_ps(static_cast<float>(qmin - zp - 1)), hi = _mm512_set1_ps(static_cast<float>(qmax - zp + 1));
  const __m512i z = _mm512_set1_epi32(zp), vmin = _mm512_set1_epi32(qmin), vmax = _mm512_set1_epi32(qmax),
                sh = _mm512_set1_epi32(shift);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_div_ps(_mm512_loadu_ps(x + i), s);
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), z);
    q = _mm512_sub_epi32(_mm512_min_epi32(_mm512_max_epi32(q, vmin), vmax), sh);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtepi32_epi8(q));
  }
  if (i < n) {  // the tail, masked
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 v = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), s);
    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
    __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), z);
    q = _mm512_sub_epi32(_mm512_min_epi32(_mm512_max_epi32(q, vmin), vmax), sh);
    _mm512_mask_cvtepi32_storeu_epi8(out + i, m, q);
  }
}

}  // namespace
#endif

bool QuantizeBytesAvx512(const float* x, int64_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax,
                         int32_t shift, void* out) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (!CpuHasAvx512Bw()) return false;
  QuantizeBytesKernel(x, n, scale, zero_point, qmin, qmax, shift, static_cast<uint8_t*>(out));
  return true;
#else
  return false;
#endif
}

}  // namespace samq::backends::cpu
