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

constexpr int64_t kMaxTileRows = 8;  // the tallest tile: rows a TiledProduct may write past `rows`

// c[0 .. rows) x [0 .. width) (=|+=) a-rows x b-panel, in tiles of up to 64 columns (6 x 4, 4 x 3,
// 8 x 2, 8 x 1 by the width left). Rows past `rows` repeat the last one: their results land in
// c's spare rows, which callers size for (kMaxTileRows).
void TiledProduct(const float* const* a_rows, int64_t rows, const float* b, int64_t ldb, int64_t width,
                  int64_t k, float* c, int64_t ldc, bool accumulate);

template <int MR, int NV>
void MicroTile(const float* const* a, const float* b, int64_t ldb, int64_t k, float* c, int64_t ldc,
               bool accumulate);

}  // namespace samq::backends::fast
