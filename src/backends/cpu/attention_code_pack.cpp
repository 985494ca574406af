#include "backends/cpu/attention_code_pack.h"

#include <cstring>

#include "backends/cpu/avx512_path.h"

namespace samq::backends::fast {

#ifdef SAMQ_HAVE_AVX512_PATH
namespace {

#define SAMQ_PACK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

bool CpuHasPackIsa() {
  static const bool has = cpu::CpuHasAvx512Bw() && __builtin_cpu_supports("avx512vl");
  return has;
}

// The signed form of 64 codes: uint8 codes minus 128 (flipping the top bit), int8 as they are.
SAMQ_PACK_TARGET inline __m512i Signed(__m512i v, __m512i flip) { return _mm512_xor_si512(v, flip); }

// Per 32-bit lane, the sum of its four signed bytes: pairs by a multiply-add against ones (u8 x
// s8 -> s16), then pairs of pairs (s16 x s16 -> s32).
SAMQ_PACK_TARGET inline __m512i LaneByteSums(__m512i v) {
  const __m512i pairs = _mm512_maddubs_epi16(_mm512_set1_epi8(1), v);
  return _mm512_madd_epi16(pairs, _mm512_set1_epi16(1));
}

SAMQ_PACK_TARGET void PackKeys(const uint8_t* src, bool src_u8, int64_t depth, int64_t keys, int64_t key_stride,
                               int64_t ld, int8_t* codes, int32_t* col_sum) {
  const __m512i flip = _mm512_set1_epi8(src_u8 ? static_cast<char>(0x80) : 0);
  const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const int64_t groups = depth / 4;
  for (int64_t j0 = 0; j0 < keys; j0 += 16) {
    const int64_t n = keys - j0 < 16 ? keys - j0 : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << n) - 1);
    // Byte offsets of the 16 keys' rows (the caller checked they fit in int32).
    const __m512i rows = _mm512_mullo_epi32(_mm512_add_epi32(lanes, _mm512_set1_epi32(static_cast<int32_t>(j0))),
                                            _mm512_set1_epi32(static_cast<int32_t>(key_stride)));
    __m512i sum = _mm512_setzero_si512();
    for (int64_t g = 0; g < groups; ++g) {
      const __m512i at = _mm512_add_epi32(rows, _mm512_set1_epi32(static_cast<int32_t>(4 * g)));
      // Lanes of keys past the end stay 0 (not flipped: the packed padding is zero).
      __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, at, src, 1);
      v = _mm512_maskz_mov_epi32(m, Signed(v, flip));
      sum = _mm512_add_epi32(sum, LaneByteSums(v));
      _mm512_mask_storeu_epi32(codes + (g * ld + j0) * 4, m, v);
    }
    _mm512_mask_storeu_epi32(col_sum + j0, m, sum);
  }
}

// Four key rows' 16 columns interleaved: out byte 4c + t = row t's column c.
SAMQ_PACK_TARGET inline void InterleaveRows16(__m128i r0, __m128i r1, __m128i r2, __m128i r3, __m128i out[4]) {
  const __m128i a = _mm_unpacklo_epi8(r0, r1), b = _mm_unpackhi_epi8(r0, r1);
  const __m128i c = _mm_unpacklo_epi8(r2, r3), d = _mm_unpackhi_epi8(r2, r3);
  out[0] = _mm_unpacklo_epi16(a, c);
  out[1] = _mm_unpackhi_epi16(a, c);
  out[2] = _mm_unpacklo_epi16(b, d);
  out[3] = _mm_unpackhi_epi16(b, d);
}

SAMQ_PACK_TARGET void PackValues(const uint8_t* src, bool src_u8, int64_t keys, int64_t key_stride, int64_t cols,
                                 int64_t ld, int8_t* codes, int32_t* col_sum) {
  const __m128i flip = _mm_set1_epi8(src_u8 ? static_cast<char>(0x80) : 0);
  const int64_t groups = (keys + 3) / 4;
  for (int64_t c0 = 0; c0 < cols; c0 += 16) {
    const int64_t n = cols - c0 < 16 ? cols - c0 : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << n) - 1);
    __m512i sum = _mm512_setzero_si512();  // columns c0 .. c0 + 16
    for (int64_t g = 0; g < groups; ++g) {
      __m128i r[4];
      for (int t = 0; t < 4; ++t) {
        const int64_t k = 4 * g + t;
        // Missing keys and columns past the end: 0, not flipped.
        r[t] = k < keys ? _mm_maskz_mov_epi8(m, _mm_xor_si128(_mm_maskz_loadu_epi8(m, src + k * key_stride + c0), flip))
                        : _mm_setzero_si128();
      }
      __m128i out[4];
      InterleaveRows16(r[0], r[1], r[2], r[3], out);
      const __m512i packed = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_set_m128i(out[1], out[0])), _mm256_set_m128i(out[3], out[2]), 1);
      sum = _mm512_add_epi32(sum, LaneByteSums(packed));
      _mm512_mask_storeu_epi32(codes + (g * ld + c0) * 4, m, packed);
    }
    _mm512_mask_storeu_epi32(col_sum + c0, m, sum);
  }
}

}  // namespace
#endif

bool PackKeyCodesAvx512(const void* src, bool src_u8, int64_t depth, int64_t keys, int64_t key_stride, int64_t ld,
                        int8_t* codes, int32_t* col_sum) {
#ifdef SAMQ_HAVE_AVX512_PATH
  // Gather offsets are int32: the last key's last group must be addressable.
  const bool fits = key_stride > 0 && (keys + 16) * key_stride + depth < (int64_t{1} << 31);
  if (!CpuHasPackIsa() || depth % 4 != 0 || keys > ld || !fits) return false;
  PackKeys(static_cast<const uint8_t*>(src), src_u8, depth, keys, key_stride, ld, codes, col_sum);
  return true;
#else
  return false;
#endif
}

bool PackValueCodesAvx512(const void* src, bool src_u8, int64_t keys, int64_t key_stride, int64_t cols, int64_t ld,
                          int8_t* codes, int32_t* col_sum) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (!CpuHasPackIsa() || cols > ld) return false;
  PackValues(static_cast<const uint8_t*>(src), src_u8, keys, key_stride, cols, ld, codes, col_sum);
  return true;
#else
  return false;
#endif
}

}  // namespace samq::backends::fast
