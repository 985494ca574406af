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
//     k_transposed: Hiera and TinyViT export K already as Kᵀ ([B, heads, D, N], from a Transpose
//     of the qkv split), so the kernel takes it as it is rather than transposing it back.
//
// ref.Attention (sam_attention_op.cpp) is the plain loop in double, the oracle; fast.Attention
// (fast_sam_attention.cpp) works on blocks of query rows (scores for one block at a time).
#pragma once

#include <memory>
#include <string>

#include "runtime/op_registry.h"

namespace samq::backends::fast {

// Registers the schema with fast.Attention then ref.Attention.
void AddSamAttentionOp(rt::OpRegistry& r);

// fast_sam_attention.cpp: the fast kernel's factory (declines non-float32 inputs).
std::unique_ptr<rt::Kernel> MakeFastSamAttention(const rt::KernelBuildInfo& info, std::string* why);

// The operand sizes both kernels work on, from the (already type-checked) run-time shapes.
struct AttentionDims {
  int64_t nb = 0, nq = 0, d = 0, nk = 0, dv = 0;  // nb: the flattened batch dims
  int64_t kh = 0, kw = 0;                           // decomposed bias (0: none)
  int64_t bias_batches = 0;                         // full bias: its batch count Bb (0: none)
  bool k_transposed = false;
  float scale = 1.0f;
};
AttentionDims GetAttentionDims(const rt::KernelContext& ctx);

}  // namespace samq::backends::fast
