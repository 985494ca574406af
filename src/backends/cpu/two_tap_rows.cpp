#include "backends/cpu/two_tap_rows.h"

#include <algorithm>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SAMQ_HAVE_AVX512_PATH 1
#endif

namespace samq::backends::cpu {
namespace {

void GatherScalar(const float* src, const RowGather& t, int64_t begin, int64_t end, float* dst) {
  for (int64_t x = begin; x < end; ++x) dst[x] = t.w0[x] * src[t.lo[x]] + t.w1[x] * src[t.hi[x]];
}

void BlendScalar(const float* a, const float* b, float w0, float w1, int64_t begin, int64_t n, float* dst) {
  for (int64_t k = begin; k < n; ++k) dst[k] = w0 * a[k] + w1 * b[k];
}

void BlendThresholdScalar(const float* a, const float* b, float w0, float w1, int64_t begin, int64_t n,
                          float threshold, uint8_t* dst) {
  for (int64_t k = begin; k < n; ++k) {
    const float v = w0 * a[k] + w1 * b[k];
    dst[k] = static_cast<uint8_t>(0 - static_cast<int>(v > threshold));  // branch-free 0x00 / 0xFF
  }
}

#ifdef SAMQ_HAVE_AVX512_PATH
__attribute__((target("avx512f"))) void GatherAvx512(const float* src, const RowGather& t, float* dst) {
  const int64_t blocks = t.n / 16;
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t x = k * 16;
    if (!t.in_window[k]) {
      GatherScalar(src, t, x, x + 16, dst);
      continue;
    }
    const int64_t base = t.base[k];
    const int64_t avail = t.src_len - base;  // never read past the source row
    const __mmask16 m = avail >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << avail) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, src + base);
    // maskz: the unmasked form starts from an "undefined" vector that GCC 12 warns about.
    const __m512 a = _mm512_maskz_permutexvar_ps(0xFFFF, _mm512_loadu_si512(t.rlo.data() + x), v);
    const __m512 b = _mm512_maskz_permutexvar_ps(0xFFFF, _mm512_loadu_si512(t.rhi.data() + x), v);
    const __m512 r = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(t.w0.data() + x), a),
                                   _mm512_mul_ps(_mm512_loadu_ps(t.w1.data() + x), b));
    _mm512_storeu_ps(dst + x, r);
  }
  GatherScalar(src, t, blocks * 16, t.n, dst);
}

__attribute__((target("avx512f"))) void BlendAvx512(const float* a, const float* b, float w0, float w1, int64_t n,
                                                    float* dst) {
  const __m512 v0 = _mm512_set1_ps(w0), v1 = _mm512_set1_ps(w1);
  int64_t k = 0;
  for (; k + 16 <= n; k += 16)
    _mm512_storeu_ps(dst + k, _mm512_add_ps(_mm512_mul_ps(v0, _mm512_loadu_ps(a + k)),
                                            _mm512_mul_ps(v1, _mm512_loadu_ps(b + k))));
  if (k < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - k)) - 1);
    _mm512_mask_storeu_ps(dst + k, m, _mm512_add_ps(_mm512_mul_ps(v0, _mm512_maskz_loadu_ps(m, a + k)),
                                                    _mm512_mul_ps(v1, _mm512_maskz_loadu_ps(m, b + k))));
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void BlendThresholdAvx512(const float* a, const float* b,
                                                                               float w0, float w1, int64_t n,
                                                                               float threshold, uint8_t* dst) {
  const __m512 v0 = _mm512_set1_ps(w0), v1 = _mm512_set1_ps(w1), th = _mm512_set1_ps(threshold);
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m512 v = _mm512_add_ps(_mm512_mul_ps(v0, _mm512_loadu_ps(a + k)), _mm512_mul_ps(v1, _mm512_loadu_ps(b + k)));
    // Ordered, non-signalling >: false for NaN, like the scalar comparison.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + k), _mm_movm_epi8(_mm512_cmp_ps_mask(v, th, _CMP_GT_OQ)));
  }
  BlendThresholdScalar(a, b, w0, w1, k, n, threshold, dst);
}

const bool kAvx512 = __builtin_cpu_supports("avx512f");
const bool kAvx512Bw = kAvx512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#endif

}  // namespace

RowGather BuildRowGather(const int64_t* lo, const int64_t* hi, const float* w0, const float* w1, int64_t n,
                         int64_t src_len) {
  RowGather t;
  t.n = n;
  t.src_len = src_len;
  t.lo.assign(lo, lo + n);
  t.hi.assign(hi, hi + n);
  t.w0.assign(w0, w0 + n);
  t.w1.assign(w1, w1 + n);
  const int64_t blocks = n / 16;
  t.base.resize(blocks);
  t.in_window.resize(blocks);
  t.rlo.resize(blocks * 16);
  t.rhi.resize(blocks * 16);
  for (int64_t k = 0; k < blocks; ++k) {
    int32_t first = t.lo[k * 16], last = t.hi[k * 16];
    for (int64_t j = 0; j < 16; ++j) {
      first = std::min({first, t.lo[k * 16 + j], t.hi[k * 16 + j]});
      last = std::max({last, t.lo[k * 16 + j], t.hi[k * 16 + j]});
    }
    t.base[k] = first;
    t.in_window[k] = last - first < 16;
    for (int64_t j = 0; j < 16; ++j) {
      t.rlo[k * 16 + j] = t.lo[k * 16 + j] - first;
      t.rhi[k * 16 + j] = t.hi[k * 16 + j] - first;
    }
  }
  return t;
}

void GatherRow(const float* src, const RowGather& t, float* dst) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (kAvx512) return GatherAvx512(src, t, dst);
#endif
  GatherScalar(src, t, 0, t.n, dst);
}

void BlendRows(const float* a, const float* b, float w0, float w1, int64_t n, float* dst) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (kAvx512) return BlendAvx512(a, b, w0, w1, n, dst);
#endif
  BlendScalar(a, b, w0, w1, 0, n, dst);
}

void BlendRowsThreshold(const float* a, const float* b, float w0, float w1, int64_t n, float threshold,
                        uint8_t* dst) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (kAvx512Bw) return BlendThresholdAvx512(a, b, w0, w1, n, threshold, dst);
#endif
  BlendThresholdScalar(a, b, w0, w1, 0, n, threshold, dst);
}

}  // namespace samq::backends::cpu
