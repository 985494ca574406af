#include "backends/cpu/gemm_tile.h"

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

}  // namespace samq::backends::fast
