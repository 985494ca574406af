// Fuses the attention of the SAM encoders into com.samq Attention (backends/cpu/sam_attention.h).
//
// 1. SAM ViT attention with decomposed relative positions, as PyTorch exports it:
//
//   S  = MatMul(Q, Transpose(K, perm=[0,2,1]))                   Q [B, Nq, D] (already scaled)
//   S5 = Reshape(S, [B, H, W, KH, KW])
//   S5 = S5 + Unsqueeze(rel_h, axis 4) + Unsqueeze(rel_w, axis 3)  (either Add order/operand side)
//   P  = Softmax(Reshape(S5, [B, Nq, Nk]), last axis)
//   Y  = MatMul(P, V)
//
// into one com.samq Attention(Q, K, V, rel_h, rel_w) -> Y (backends/cpu/sam_attention.h), which
// never builds the [B, Nq, Nk] tensors. Every intermediate must have exactly one reader and not
// be a graph output; the static types (from shape inference after constant folding) must be
// fully known and consistent: rel_h [B,H,W,KH], rel_w [B,H,W,KW], Nq = H*W, Nk = KH*KW. Anything
// else is left as it is.
//
// 2. Plain attention of any rank >= 3 (heads as a batch dim: SAM 2 Hiera, MobileSAM TinyViT):
//   Y = MatMul(Softmax(MatMul(Q, Kt) [* c | / c] [+ bias], last axis), V)
//   with c a one-element constant (-> scale) and bias a constant [..., Nq, Nk] repeated over the
//   outer batch dims (TinyViT's per-head table, a constant once folded). Kt = Transpose(K)
//   swapping the last two axes gives K; any other Kt (Hiera's [0,2,3,1] of the qkv split) is
//   passed as it is, with k_transposed = 1. Same single-reader and static-shape rules.
//
// Quantized attention (a QDQ file whose attention MatMuls are quantized too, `samq quantize
// --quantize-attention`): P may reach the final MatMul through a com.samq QuantDequant with
// constant scalar parameters (passes/fold_qdq_to_integer), which moves into the Attention as
// inputs 8 and 9 (the kernels quantize P themselves); in pattern 1 Kᵀ may then be
// QuantDequant(Transpose(K)), passed as it is with k_transposed = 1. When Q, K and V each come
// from such a QuantDequant too (read only there) and `integer_operands` is set, those move in as
// well (inputs 10..15): the Attention then reads the unquantized operands and multiplies their
// integer codes (fast.Attention's integer kernel). Otherwise they stay in front of it.
//
// The fused node replaces the final MatMul (all its inputs are defined before it, so the order
// stays topological).
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of Attention nodes created.
int FuseSamAttention(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types,
                     bool integer_operands = true);

}  // namespace samq::passes
