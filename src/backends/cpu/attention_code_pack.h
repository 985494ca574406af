// K and V of the integer attention packed straight from their 8-bit codes (the qkv projection's
// output, passes/fuse_attention_codes) in AVX-512 intrinsics: the fast path of
// PackAttentionOperand (int8_attention_operands.h) for codes, with the same result.
//
// Why: the portable path copies every key's row into scratch lines (one short loop of 32 codes
// with sums per row: 49 rows of each operand per window and head in TinyViT's 7 x 7 windows),
// then moves K's 4-byte groups one memcpy at a time. On MobileSAM that was 2.5 ms of the integer
// attention's 18. Here K's groups are gathered 16 keys at a time, straight into the packed
// layout, and V's four key rows are interleaved in registers; the sums come from byte
// multiply-adds against ones.
#pragma once

#include <cstdint>

namespace samq::backends::fast {

// Codes are uint8 (src_u8: stored minus 128, the signed form the tile's B side wants) or int8
// (as they are). Both return false, writing nothing, without AVX-512BW or for layouts they do not
// cover; the caller then takes the portable path.
//
// K: element (c, j) (depth c < depth, key j < keys) at src[c + j * key_stride]; depth a multiple of
// 4. codes[(g * ld + j) * 4 + t] = element (4g + t, j); col_sum[j] = the sum over c of element
// (c, j). Keys from `keys` to ld are not written (the caller's zeros).
bool PackKeyCodesAvx512(const void* src, bool src_u8, int64_t depth, int64_t keys, int64_t key_stride, int64_t ld,
                        int8_t* codes, int32_t* col_sum);

// V: element (k, c) (key k < keys, column c < cols) at src[k * key_stride + c]. codes[(g * ld + c) *
// 4 + t] = element (4g + t, c) for g < ceil(keys / 4), zero for the keys past `keys` in the last
// group; col_sum[c] = the sum over keys of element (k, c). Columns from cols to ld and groups
// past the last are not written.
bool PackValueCodesAvx512(const void* src, bool src_u8, int64_t keys, int64_t key_stride, int64_t cols, int64_t ld,
                          int8_t* codes, int32_t* col_sum);

}  // namespace samq::backends::fast
