// The register-tiled float32 GEMM step shared by fast.Einsum and the fast SAM attention kernel:
// MR rows of A (each a pointer to K contiguous floats, so rows may sit anywhere: strided or
// gathered) times a B panel stored [K][ldb] with unit stride along N, for 16*NV columns.
//
//   c[r*ldc + j] (=|+=) sum_k a[r][k] * b[k*ldb + j],   r < MR, j < 16*NV
//
// The MR*NV accumulators live in vector registers for the whole K loop (AVX-512 clone: one zmm
// each, at most 24). Columns are always 16*NV wide: callers pad B (and c) to a multiple of 16.
// Instantiated (gemm_tile.cpp) for MR x NV = 4x4, 4x3, 6x4, 8x2, 8x1.
#pragma once

#include <cstdint>

namespace samq::backends::fast {

constexpr int64_t kTileLanes = 16;  // floats per vector register of the AVX-512 clone

template <int MR, int NV>
void MicroTile(const float* const* a, const float* b, int64_t ldb, int64_t k, float* c, int64_t ldc,
               bool accumulate);

}  // namespace samq::backends::fast
