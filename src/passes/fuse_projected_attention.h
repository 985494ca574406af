// Fuses a multi-head attention with its four linear projections, as SAM's and SAM 2's mask
// decoders export it, into one com.samq ProjectedAttention node (backends/cpu/projected_attention.h),
// whose kernel re-associates the products when one side has only a few tokens (the prompt).
//
// The pattern, after passes/fuse_matmul_bias (each projection is a MatMulBias, activation none):
//   qp = MatMulBias(XQ, Wq, bq)  -> Reshape [B, Nq, H, d] -> Transpose (0,2,1,3)        = Q
//   kp = MatMulBias(XK, Wk, bk)  -> Reshape [B, Nk, H, d] -> Transpose (0,2,3,1)        = K^T
//                                   (or Transpose (0,2,1,3) then Transpose (0,1,3,2))
//   vp = MatMulBias(XV, Wv, bv)  -> Reshape [B, Nk, H, d] -> Transpose (0,2,1,3)        = V
//   S = MatMul(Q, K^T) [-> Div or Mul by a float scalar] -> Softmax(last axis) -> MatMul(., V)
//     -> Transpose (0,2,1,3) -> Reshape [B, Nq, H*d] -> MatMulBias(., Wo, bo)            = Y
// The decoders' token counts are dynamic, so the Reshape targets are Concats of constants and
// dims read back with Shape -> Gather: each target entry must be a constant (equal to the known
// dim it stands for) or exactly the dim of the tensor it keeps (batch, tokens); the head split
// [H, d] must be constant with H * d = the projection width. Every intermediate is read only
// inside the pattern, except by Shape nodes whose results feed nothing but the pattern's own
// Reshapes (they are removed with it). The fused node takes the output projection's place.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// `types` from shape inference of `graph`. Returns the number of ProjectedAttention nodes made;
// the Shape chains that only served the fused nodes are removed (dead-node elimination).
int FuseProjectedAttention(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
