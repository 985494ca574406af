#include "backends/cpu/int8_tile.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace samq::backends::fast {
namespace {

// 6 rows x 4 vectors (64 columns): 24 accumulators, 4 B vectors and one broadcast, 29 of the 32
// zmm registers; per group of 4 depths 10 loads feed 24 vpdpbusd (8 x 2: 10 for 16).
constexpr int kMaxRows = 6, kMaxVectors = 4;

#if defined(__x86_64__)
#define SAMQ_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

// MR x NV accumulators (16 int32 columns each) stay in zmm registers over the whole depth: per
// group of 4 depths, NV loads of B, MR broadcasts of 4 bytes of A, MR*NV vpdpbusd. Every loop
// over the tile must be fully unrolled: if the loads or stores of acc stay a loop, GCC 12 keeps
// the array on the stack and copies each accumulator in and out around every vpdpbusd (measured on
// one core, 24 rows x 4096 keys, depth 64: 267 GMAC/s rolled 8 x 2, 375 unrolled 8 x 2, 436 6 x 4).
template <int MR, int NV>
SAMQ_VNNI_TARGET void TileVnni(const uint8_t* const* a, const int8_t* b, int64_t ldb, int64_t k4, int32_t* c,
                               int64_t ldc, bool accumulate) {
  // Every loop over the tile fully unrolled, so the array lives in registers.
  __m512i acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      acc[r][v] = accumulate ? _mm512_loadu_si512(c + r * ldc + 16 * v) : _mm512_setzero_si512();
  for (int64_t g = 0; g < k4; ++g) {
    const int8_t* bg = b + g * ldb * 4;
    __m512i bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_si512(bg + 64 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      int32_t four;
      std::memcpy(&four, a[r] + 4 * g, 4);
      const __m512i av = _mm512_set1_epi32(four);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], av, bv[v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_si512(c + r * ldc + 16 * v, acc[r][v]);
}

SAMQ_VNNI_TARGET void ProductVnni(const uint8_t* const* a_rows, int64_t rows, const int8_t* b, int64_t ldb,
                                  int64_t width, int64_t k4, int32_t* c, int64_t ldc, bool accumulate) {
  std::array<const uint8_t*, kMaxRows> tile_rows;
  for (int64_t j0 = 0; j0 < width; j0 += 16 * kMaxVectors) {
    const int64_t vectors = std::min<int64_t>(kMaxVectors, (width - j0) / 16);
    for (int64_t i0 = 0; i0 < rows; i0 += kMaxRows) {
      for (int r = 0; r < kMaxRows; ++r) tile_rows[r] = a_rows[std::min<int64_t>(i0 + r, rows - 1)];
      int32_t* ct = c + i0 * ldc + j0;
      const int8_t* bt = b + j0 * 4;
      switch (vectors) {
        case 4: TileVnni<kMaxRows, 4>(tile_rows.data(), bt, ldb, k4, ct, ldc, accumulate); break;
        case 3: TileVnni<kMaxRows, 3>(tile_rows.data(), bt, ldb, k4, ct, ldc, accumulate); break;
        case 2: TileVnni<kMaxRows, 2>(tile_rows.data(), bt, ldb, k4, ct, ldc, accumulate); break;
        default: TileVnni<kMaxRows, 1>(tile_rows.data(), bt, ldb, k4, ct, ldc, accumulate); break;
      }
    }
  }
}

bool DetectVnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vnni");
}
#else
bool DetectVnni() { return false; }
#endif

}  // namespace

void Int8TiledProductPortable(const uint8_t* const* a_rows, int64_t rows, const int8_t* b, int64_t ldb,
                              int64_t width, int64_t k4, int32_t* c, int64_t ldc, bool accumulate) {
  for (int64_t r = 0; r < rows; ++r) {
    int32_t* cr = c + r * ldc;
    if (!accumulate) std::fill(cr, cr + width, 0);
    for (int64_t g = 0; g < k4; ++g)
      for (int t = 0; t < 4; ++t) {
        const int32_t av = a_rows[r][4 * g + t];
        if (av == 0) continue;
        const int8_t* bk = b + g * ldb * 4 + t;
        for (int64_t j = 0; j < width; ++j) cr[j] += av * bk[4 * j];
      }
  }
}

bool Int8TilesUseVnni() {
  static const bool vnni = DetectVnni();
  return vnni;
}

void Int8TiledProduct(const uint8_t* const* a_rows, int64_t rows, const int8_t* b, int64_t ldb, int64_t width,
                      int64_t k4, int32_t* c, int64_t ldc, bool accumulate) {
#if defined(__x86_64__)
  if (Int8TilesUseVnni()) return ProductVnni(a_rows, rows, b, ldb, width, k4, c, ldc, accumulate);
#endif
  Int8TiledProductPortable(a_rows, rows, b, ldb, width, k4, c, ldc, accumulate);
}

}  // namespace samq::backends::fast
