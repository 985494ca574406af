// com.samq Attention: one SAM-family attention (passes/fuse_sam_attention.cpp makes it from the
// exported subgraph), so the [B, Nq, Nk] score tensor never has to exist in full.
//
//   Attention(Q [..., Nq, D], K [..., Nk, D], V [..., Nk, Dv],
//             rel_h? [B, H, W, KH], rel_w? [B, H, W, KW], bias? [..., Nq, Nk]) -> Y [..., Nq, Dv]
//   attributes: scale (float, default 1), k_transposed (int, default 0: K is [..., D, Nk] when 1)
//   Y[b, i, :] = sum_j softmax_j(S[b, i, j]) * V[b, j, :]
//   S[b, i, j] = scale * sum_d Q[b, i, d] * K[b, j, d]
//              + rel_h[b, h, w, kh] + rel_w[b, h, w, kw]            (when both are given)
//              + bias[b mod Bb, i, j]                                (when given)
//     Q, K and V have the same rank (>= 3) and the same leading (batch) dims, flattened into b.
//     rel_h/rel_w (rank-3 Q only), with i = h * W + w (Nq = H * W) and j = kh * KW + kw
//     (Nk = KH * KW): SAM's decomposed relative-position bias, added per score instead of being
//     broadcast into a full tensor. bias: a full score bias (MobileSAM's per-head table) whose
//     leading dims, after leading 1s, are the innermost batch dims of Q (so it repeats over the
//     outer ones: Bb = their product).
//   Attention(Q, K, V, -, -, bias?, rel_pos_h [H, KH, D], rel_pos_w [W, KW, D])
//     the same decomposed bias, computed by the kernel from Q itself (unscaled: scale applies to
//     Q Kᵀ only), with i = h * W + w:  rel_h[b, i, kh] = sum_d Q[b, i, d] * rel_pos_h[h, kh, d],
//     rel_w[b, i, kw] = sum_d Q[b, i, d] * rel_pos_w[w, kw, d]  (SAM ViT's two rel-pos Einsums;
//     passes/fuse_attention_rel_pos moves them in). Exclusive with inputs 3 and 4; any Q rank or
//     the strided form, as long as Nq = H * W and Nk = KH * KW.
//   Attention(Q, K, V, ..., p_scale, p_zero_point) (inputs 8 and 9: one float32, one uint8 or
//     int8): a quantized attention (QDQ file with quantized attention MatMuls): the softmax
//     output P, as float32, goes through QuantizeLinear -> DequantizeLinear with these
//     parameters before P * V, as the file's QuantDequant of P did (passes/fuse_sam_attention
//     moves it in). Q, K and V arrive already quantize-dequantized.
//   Attention(Q, K, V, ..., p_scale, p_zero_point, q_scale, q_zero_point, k_scale, k_zero_point,
//             v_scale, v_zero_point) (inputs 10..15, only with 8 and 9; each a scalar, scales
//     float32, zero points uint8 or int8): the integer attention. Q, K and V arrive as the float
//     tensors the file quantizes, and the kernel applies their QuantizeLinear -> DequantizeLinear
//     itself (passes/fuse_sam_attention moves the three QuantDequants in), so Q Kᵀ and P V are
//     products of integers: fast.attention_u8s8 runs them as u8 x s8 VNNI tiles (int8_tile.h) with
//     the zero points corrected per row and column; ref.Attention dequantizes and sums in double.
//     Decomposed terms computed from Q (inputs 6, 7) use Q as given, before its quantization,
//     as the file's rel-pos Einsums do.
//     Q, K and V (inputs 0..2) may also arrive as those codes themselves (uint8 or int8, the type
//     of the operand's zero point): passes/fuse_attention_codes makes the qkv projection emit
//     them, so the float tensor and the kernel's quantizing pass over it disappear. Not with
//     inputs 6, 7 (they need Q as float).
//     k_transposed: Hiera and TinyViT export K already as Kᵀ ([B, heads, D, N], from a Transpose
//     of the qkv split), so the kernel takes it as it is rather than transposing it back.
//
//   Strided form (passes/fold_attention_layouts makes it): with attribute layout_dims =
//   [Nq, Nk, D, Dv], inputs 0..2 are the tensors Q, K and V are read from (often one qkv
//   tensor three times) and Y is written into a tensor of dims output_shape, each through a view
//   (ints, elements): q_view, k_view, v_view, y_view = [offset, row_stride, col_stride,
//   size_1, stride_1, ..., size_n, stride_n], where the (size, stride) pairs, outermost first,
//   spell the flattened batch index b in mixed radix. So Q[b, i, c] is at
//   offset + digits(b) . strides + i * row_stride + c * col_stride, K likewise over [b, j, c]
//   (k_transposed is then ignored: the view says it), and every operand's batch pairs multiply
//   to the same count. This removes the Transpose / Split / Reshape chains the exporters put
//   between the qkv projection and the attention and between the attention and its output
//   projection: the kernel reads and writes those layouts directly.
//
// ref.Attention (sam_attention_op.cpp) is the plain loop in double, the oracle; fast.Attention
// (fast_sam_attention.cpp) works on blocks of query rows (scores for one block at a time), and
// so does fast.attention_u8s8 (fast_int8_attention.cpp) on integer operands.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/quantize_math.h"
#include "runtime/op_registry.h"

namespace samq::backends::fast {

// Registers the schema with fast.attention_u8s8, fast.Attention, then ref.Attention.
void AddSamAttentionOp(rt::OpRegistry& r);

// fast_sam_attention.cpp: the fast kernel's factory (declines non-float32 operands and nodes
// with inputs 10..15).
std::unique_ptr<rt::Kernel> MakeFastSamAttention(const rt::KernelBuildInfo& info, std::string* why);
// fast_int8_attention.cpp: fast.attention_u8s8, for nodes with inputs 10..15 only.
std::unique_ptr<rt::Kernel> MakeFastInt8Attention(const rt::KernelBuildInfo& info, std::string* why);

// Whether input i of com.samq Attention is a zero point (uint8 or int8; the rest are float32).
inline bool IsAttentionZeroPoint(int i) { return i >= 9 && i % 2 == 1; }

// Where one operand's elements are, in elements of its tensor (see the strided form above).
struct OperandView {
  int64_t offset = 0, row_stride = 0, col_stride = 1;
  std::vector<std::pair<int64_t, int64_t>> batch;  // (size, stride), outermost first
  int64_t batch_count() const;
  // offset + the batch part of the address, for each b in [0, batch_count()).
  std::vector<int64_t> BatchOffsets() const;
  // The largest offset the view reaches over [batch_count, rows, cols] (-1 when empty).
  int64_t MaxOffset(int64_t rows, int64_t cols) const;
  // Whether [batch_count, rows, cols] through this view lands on each of elements [0, numel)
  // exactly once: a kernel that writes every view element may then skip zero-filling its output.
  bool CoversEachElementOnce(int64_t rows, int64_t cols, int64_t numel) const;
};
// Parses a *_view attribute; nullopt when malformed (fewer than 3 values, odd pairs, sizes < 1
// or negative strides/offsets).
std::optional<OperandView> ParseOperandView(const std::vector<int64_t>& ints);

// The operand sizes and layouts both kernels work on. Without layout_dims the views describe
// the dense operands (K per k_transposed), so the kernels only ever deal with views.
struct AttentionDims {
  int64_t nb = 0, nq = 0, d = 0, nk = 0, dv = 0;  // nb: the flattened batch dims
  int64_t kh = 0, kw = 0;                           // decomposed bias (0: none)
  bool rel_tables = false;                          // ... computed from Q and inputs 6, 7
  int64_t grid_h = 0, grid_w = 0;                   // then: the query grid H x W
  int64_t bias_batches = 0;                         // full bias: its batch count Bb (0: none)
  float scale = 1.0f;
  bool strided = false;  // layout_dims given
  // P's QuantizeLinear -> DequantizeLinear (inputs 8, 9), as ref QuantDequant computes it.
  bool quant_p = false;
  float p_scale = 1.0f, p_zero_point = 0.0f, p_qmin = 0.0f, p_qmax = 255.0f;
  float QuantDequantP(float p) const {
    return (QuantizeToFloat(p, p_scale, p_zero_point, p_qmin, p_qmax) - p_zero_point) * p_scale;
  }
  // Q's, K's and V's QuantizeLinear -> DequantizeLinear (inputs 10..15).
  struct OperandQuant {
    float scale = 1.0f, zero_point = 0.0f, qmin = 0.0f, qmax = 255.0f;
    bool u8 = true;
    bool codes = false;  // the operand arrives as these codes (uint8 when u8, else int8)
    float Quantize(float x) const { return QuantizeToFloat(x, scale, zero_point, qmin, qmax); }
    float QuantDequant(float x) const { return (Quantize(x) - zero_point) * scale; }
    // Element `at` of a codes operand, dequantized.
    float Dequantize(const void* codes, int64_t at) const {
      const float c = u8 ? static_cast<const uint8_t*>(codes)[at] : static_cast<const int8_t*>(codes)[at];
      return (c - zero_point) * scale;
    }
  };
  bool quant_qkv = false;
  OperandQuant qq, kq, vq;
  OperandView q, k, v, y;
};
// The float inputs' data as the dims say which are there (null: absent or not in that role),
// and Q's, K's and V's bytes when they arrive as codes (then their float pointer is null).
struct AttentionInputs {
  const float *q, *k, *v, *rel_h, *rel_w, *bias, *table_h, *table_w;
  const void *q_codes, *k_codes, *v_codes;
};
AttentionInputs GetAttentionInputs(const rt::KernelContext& ctx, const AttentionDims& a);

// From the run-time shapes (already type-checked) and attributes; views are checked against the
// actual tensor sizes, so a malformed com.samq node is an error, not an out-of-bounds access.
Result<AttentionDims> GetAttentionDims(const rt::KernelContext& ctx);

// Output 0 for a kernel that writes every [nb, nq, dv] element of Y's view: not zero-filled first
// when the view covers the whole output (always, for the layouts the passes make), zero-filled
// otherwise, so elements the view skips keep a defined value.
Tensor& AttentionOutput(rt::KernelContext& ctx, const AttentionDims& a);

}  // namespace samq::backends::fast
