#include "backends/cpu/gemm_tile.h"

#include <algorithm>
#include <array>

#include "backends/cpu/fast_kernels.h"

namespace samq::backends::fast {
namespace {
// 16 floats, unaligned and aliasing-safe. GCC lowers it to one zmm register in the AVX-512
// clone and to SSE pairs in the baseline one.
typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));
static_assert(sizeof(V16) == kTileLanes * sizeof(float));
}  // namespace

template <int MR, int NV>
SAMQ_CLONES void MicroTile(const float* const* a, const float* b, int64_t ldb, int64_t k, float* c,
                           int64_t ldc, bool accumulate) {
  V16 acc[MR][NV] = {};
  for (int64_t kk = 0; kk < k; ++kk) {
    V16 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = *reinterpret_cast<const V16*>(b + kk * ldb + kTileLanes * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const float s = a[r][kk];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] += s * bv[v];
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) {
      V16* dst = reinterpret_cast<V16*>(c + r * ldc + kTileLanes * v);
      *dst = accumulate ? *dst + acc[r][v] : acc[r][v];
    }
}

template void MicroTile<4, 4>(const float* const*, const float*, int64_t, int64_t, float*, int64_t, bool);
template void MicroTile<4, 3>(const float* const*, const float*, int64_t, int64_t, float*, int64_t, bool);
template void MicroTile<6, 4>(const float* const*, const float*, int64_t, int64_t, float*, int64_t, bool);
template void MicroTile<8, 2>(const float* const*, const float*, int64_t, int64_t, float*, int64_t, bool);
template void MicroTile<8, 1>(const float* const*, const float*, int64_t, int64_t, float*, int64_t, bool);


void TiledProduct(const float* const* a_rows, int64_t rows, const float* b, int64_t ldb, int64_t width,
                  int64_t k, float* c, int64_t ldc, bool accumulate) {
  std::array<const float*, kMaxTileRows> tile_rows;
  for (int64_t j0 = 0; j0 < width; j0 += 64) {
    const int nv = static_cast<int>(std::min<int64_t>(4, (width - j0 + kTileLanes - 1) / kTileLanes));
    const int mr = nv == 4 ? 6 : nv == 3 ? 4 : 8;
    for (int64_t i0 = 0; i0 < rows; i0 += mr) {
      for (int r = 0; r < mr; ++r) tile_rows[r] = a_rows[std::min<int64_t>(i0 + r, rows - 1)];
      float* ct = c + i0 * ldc + j0;
      switch (nv) {
        case 4: MicroTile<6, 4>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
        case 3: MicroTile<4, 3>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
        case 2: MicroTile<8, 2>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
        default: MicroTile<8, 1>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
      }
    }
  }
}

}  // namespace samq::backends::fast
