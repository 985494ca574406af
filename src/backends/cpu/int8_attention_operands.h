// The integer attention's operands (fast_int8_attention.cpp): Q's, K's and V's float rows
// quantized to bytes as QuantizeLinear does, and K and V packed into the B-panel layout of the
// VNNI tiles (int8_tile.h).
//
// Why a file of its own: in TinyViT's 7 x 7 windows each (window, head) is 49 rows of 32 values,
// so quantizing row by row (one call, one horizontal sum and one scalar tail per 32 values) cost
// a third of MobileSAM's whole integer attention. These routines take all rows of an operand in
// one call, keep sums in vector registers and move K's codes as 32-bit groups.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/cpu/sam_attention.h"

namespace samq::backends::fast {

using AttentionOperandQuant = AttentionDims::OperandQuant;

// dst[r * pitch + c] = clamp(rint(x / scale) + zero_point, qmin, qmax) + offset for the element
// x = src[r * row_stride + c * col_stride], r < rows, c < n (exactly QuantizeToFloat's result;
// NaN gives qmin); the offset moves the codes into T's range (uint8 <-> int8 by +-128). Bytes of
// dst past n are left alone. row_sums[r] (when given) = the sum of row r's codes; col_sums[c]
// (when given) += the codes of column c over all rows.
template <typename T>
void QuantizeOperandRows(const float* src, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t n,
                         const AttentionOperandQuant& q, int32_t offset, T* dst, int64_t pitch, int32_t* row_sums,
                         int32_t* col_sums);

// The same from an operand that arrives as codes already (passes/fuse_attention_codes):
// dst[r * pitch + c] = src[r * row_stride + c * col_stride] + offset, src uint8 when src_u8, else
// int8; dst may be null when only the sums are wanted.
template <typename T>
void CopyOperandCodes(const void* src, bool src_u8, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t n,
                      int32_t offset, T* dst, int64_t pitch, int32_t* row_sums, int32_t* col_sums);

// Where an operand's elements are: float32 values (quantized with the operand's parameters) or
// its codes; `at` is the element offset of the first one.
struct OperandSource {
  const float* values = nullptr;
  const void* codes = nullptr;  // uint8 when the operand's parameters say u8, else int8
  int64_t at = 0;
};

// QuantizeOperandRows or CopyOperandCodes, as the source is.
template <typename T>
void OperandRowsToBytes(const OperandSource& src, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t n,
                        const AttentionOperandQuant& q, int32_t offset, T* dst, int64_t pitch, int32_t* row_sums,
                        int32_t* col_sums);

// An operand packed for the B side of the tile: codes[(g * ld + j) * 4 + t] = the signed code of
// element (depth 4g+t, column j), zero past the real depth and columns; col_sum[j] = the sum over
// depth of column j's codes. `lines` is scratch, kept to be reused.
struct PackedOperand {
  std::vector<int8_t> codes;
  std::vector<int32_t> col_sum;
  std::vector<int8_t> lines;
};

// Packs `depth` x `cols` elements, element (c, j) at src[c * dstride + j * jstride], into
// [ceil(padded_depth / 4)][ld][4] (padded_depth >= depth; ld >= cols, a multiple of 16), codes as
// QuantizeOperandRows with the offset that makes them signed. Lines are quantized along whichever axis is contiguous (K's
// rows run along the depth, V's along the columns); `out` may hold the previous batch's packing
// of the same sizes, whose padding is then already zero.
void PackAttentionOperand(const OperandSource& src, int64_t depth, int64_t padded_depth, int64_t dstride,
                          int64_t cols, int64_t jstride, int64_t ld, const AttentionOperandQuant& q,
                          PackedOperand* out);

}  // namespace samq::backends::fast
