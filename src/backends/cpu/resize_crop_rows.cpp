#include "backends/cpu/resize_crop_rows.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SAMQ_HAVE_AVX512_PATH 1
#endif

namespace samq::backends::cpu {
namespace {

// The horizontal pass of one stage over output columns [c0, c0 + n): dst[x] = w0[x] * src[lo[x]] +
// w1[x] * src[hi[x]], with hi = lo and w1 = 0 for one-tap outputs (see the header).
struct GatherTable {
  int64_t n = 0, src_len = 0;
  std::vector<int32_t> lo, hi;
  std::vector<float> w0, w1;
  // Per block of 16 outputs: whether all its taps fall in src[base, base + 16), so one load and two
  // lane permutes replace 32 scalar loads (always true when upsampling by >= 1.07); rlo/rhi are the
  // taps relative to their block's base.
  std::vector<int32_t> base, rlo, rhi;
  std::vector<uint8_t> in_window;
};

GatherTable BuildGather(const TwoTapAxis& f, int64_t c0, int64_t n, int64_t src_len) {
  GatherTable t;
  t.n = n;
  t.src_len = src_len;
  t.lo.resize(n);
  t.hi.resize(n);
  t.w0.resize(n);
  t.w1.resize(n);
  for (int64_t x = 0; x < n; ++x) {
    const int64_t i = c0 + x;
    t.lo[x] = static_cast<int32_t>(f.lo[i]);
    t.hi[x] = static_cast<int32_t>(f.two[i] ? f.lo[i] + 1 : f.lo[i]);
    t.w0[x] = f.w0[i];
    t.w1[x] = f.two[i] ? f.w1[i] : 0.0f;
  }
  const int64_t blocks = n / 16;
  t.base.resize(blocks);
  t.in_window.resize(blocks);
  t.rlo.resize(blocks * 16);
  t.rhi.resize(blocks * 16);
  for (int64_t k = 0; k < blocks; ++k) {
    int32_t lo = t.lo[k * 16], hi = t.hi[k * 16];
    for (int64_t j = 0; j < 16; ++j) {
      lo = std::min(lo, t.lo[k * 16 + j]);
      hi = std::max(hi, t.hi[k * 16 + j]);
    }
    t.base[k] = lo;
    t.in_window[k] = hi - lo < 16;
    for (int64_t j = 0; j < 16; ++j) {
      t.rlo[k * 16 + j] = t.lo[k * 16 + j] - lo;
      t.rhi[k * 16 + j] = t.hi[k * 16 + j] - lo;
    }
  }
  return t;
}

void GatherScalar(const float* src, const GatherTable& t, int64_t begin, int64_t end, float* dst) {
  for (int64_t x = begin; x < end; ++x) dst[x] = t.w0[x] * src[t.lo[x]] + t.w1[x] * src[t.hi[x]];
}

// dst[k] = w0 * a[k] + w1 * b[k]: the vertical pass.
void BlendScalar(const float* a, const float* b, float w0, float w1, int64_t n, float* dst) {
  for (int64_t k = 0; k < n; ++k) dst[k] = w0 * a[k] + w1 * b[k];
}

#ifdef SAMQ_HAVE_AVX512_PATH
__attribute__((target("avx512f"))) void GatherAvx512(const float* src, const GatherTable& t, float* dst) {
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

__attribute__((target("avx512f"))) void BlendAvx512(const float* a, const float* b, float w0, float w1,
                                                    int64_t n, float* dst) {
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

const bool kAvx512 = __builtin_cpu_supports("avx512f");
#endif

void Gather(const float* src, const GatherTable& t, float* dst) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (kAvx512) return GatherAvx512(src, t, dst);
#endif
  GatherScalar(src, t, 0, t.n, dst);
}

void Blend(const float* a, const float* b, float w0, float w1, int64_t n, float* dst) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (kAvx512) return BlendAvx512(a, b, w0, w1, n, dst);
#endif
  BlendScalar(a, b, w0, w1, n, dst);
}

// The two vertical taps of output row i of an axis (b == a with weight 0 for one tap).
struct RowTaps {
  int64_t lo, hi;
  float w0, w1;
};
RowTaps TapsOf(const TwoTapAxis& f, int64_t i) {
  return {f.lo[i], f.two[i] ? f.lo[i] + 1 : f.lo[i], f.w0[i], f.two[i] ? f.w1[i] : 0.0f};
}

// The last two rows a thread made, by key. Keys are requested in non-decreasing pairs (k, k + 1),
// so a miss evicts the slot that does not hold k - 1.
class RowCache {
 public:
  explicit RowCache(int64_t width) : buf_{std::vector<float>(width), std::vector<float>(width)} {}
  template <typename Make>
  const float* Get(int64_t key, Make&& make) {
    for (int s = 0; s < 2; ++s)
      if (key_[s] == key) return buf_[s].data();
    const int s = key_[0] == key - 1 ? 1 : 0;
    make(key, buf_[s].data());
    key_[s] = key;
    return buf_[s].data();
  }

 private:
  std::vector<float> buf_[2];
  int64_t key_[2] = {-1, -1};
};

}  // namespace

void ResizeCropResizePlanes(const float* in, int64_t planes, const TwoTapPlan& first, const CropWindow& crop,
                            const TwoTapPlan& second, float* out) {
  // The first stage's horizontal pass only for the cropped columns; the second's for all.
  const GatherTable g1 = BuildGather(first.fx, crop.x0, crop.w, first.in_w);
  const GatherTable g2 = BuildGather(second.fx, 0, second.out_w, crop.w);
  const int64_t oh = second.out_h, ow = second.out_w;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(ow, 1));
  parallel_for(planes * oh, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> tmp(std::max(first.in_w, crop.w)), tmp2(crop.w), stage2(std::max(crop.w, ow));
    // Crop row y of plane p (crop.w values): the first stage's output row crop.y0 + y, columns
    // crop.x0 ... in that stage's axis order.
    auto crop_row = [&](int64_t p, int64_t y, float* dst) {
      const RowTaps v = TapsOf(first.fy, crop.y0 + y);
      const float* a = in + (p * first.in_h + v.lo) * first.in_w;
      const float* b = in + (p * first.in_h + v.hi) * first.in_w;
      if (first.rows_first) {
        Blend(a, b, v.w0, v.w1, first.in_w, tmp.data());
        Gather(tmp.data(), g1, dst);
      } else {
        Gather(a, g1, tmp.data());
        Gather(b, g1, tmp2.data());
        Blend(tmp.data(), tmp2.data(), v.w0, v.w1, crop.w, dst);
      }
    };
    // Rows first: the cache holds crop rows (crop.w wide), blended then gathered per output row.
    // Columns first: it holds crop rows already gathered to ow columns, then blended.
    RowCache cache(second.rows_first ? crop.w : ow);
    auto make = [&](int64_t key, float* dst) {
      const int64_t p = key / crop.h, y = key % crop.h;
      if (second.rows_first) {
        crop_row(p, y, dst);
      } else {
        crop_row(p, y, stage2.data());
        Gather(stage2.data(), g2, dst);
      }
    };
    for (int64_t job = begin; job < end; ++job) {
      const int64_t p = job / oh, y = job % oh;
      const RowTaps v = TapsOf(second.fy, y);
      const float* a = cache.Get(p * crop.h + v.lo, make);
      const float* b = cache.Get(p * crop.h + v.hi, make);  // keeps a's slot (hi is lo or lo + 1)
      float* dst = out + job * ow;
      if (second.rows_first) {
        Blend(a, b, v.w0, v.w1, crop.w, stage2.data());
        Gather(stage2.data(), g2, dst);
      } else {
        Blend(a, b, v.w0, v.w1, ow, dst);
      }
    }
  });
}

}  // namespace samq::backends::cpu
