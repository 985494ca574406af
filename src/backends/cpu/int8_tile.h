// The register-tiled u8 x s8 -> s32 GEMM step of the integer attention (fast_int8_attention.cpp):
// rows of A as unsigned bytes (each a pointer to 4*K4 bytes, so rows may sit anywhere) times a B
// panel of signed bytes packed four depths per 32-bit lane, the operand layout of AVX512-VNNI's
// vpdpbusd (one instruction: 16 columns x 4 depths of multiply-accumulate, 4x the float FMA):
//
//   c[r*ldc + j] (=|+=) sum_{k < 4*K4} a[r][k] * B[k][j],   B[k][j] at b[((k/4)*ldb + j)*4 + k%4]
//
// for r < rows and j < width (a multiple of 16; callers pad B and c). Sums are exact in int32 as
// long as 4*K4 * 255 * 128 < 2^31 (K up to 65 000). Rows past `rows` repeat the last one and
// land in c's spare rows (callers size c for up to 7 of them; the VNNI tile writes at most 5), as
// in the float TiledProduct.
// Without VNNI (checked once at run time) a portable loop computes the same sums.
#pragma once

#include <cstdint>

namespace samq::backends::fast {

void Int8TiledProduct(const uint8_t* const* a_rows, int64_t rows, const int8_t* b, int64_t ldb, int64_t width,
                      int64_t k4, int32_t* c, int64_t ldc, bool accumulate);

// The same with the portable loop whatever the CPU (tests compare the two).
void Int8TiledProductPortable(const uint8_t* const* a_rows, int64_t rows, const int8_t* b, int64_t ldb,
                              int64_t width, int64_t k4, int32_t* c, int64_t ldc, bool accumulate);

// Whether Int8TiledProduct uses vpdpbusd on this CPU.
bool Int8TilesUseVnni();

}  // namespace samq::backends::fast
