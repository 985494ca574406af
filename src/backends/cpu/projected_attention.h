// com.samq ProjectedAttention: a multi-head attention together with its four linear projections,
// as SAM's (and SAM 2's) mask decoder has them (passes/fuse_projected_attention makes it).
//
//   ProjectedAttention(XQ [B, Nq, Cq], XK [B, Nk, Ck], XV [B, Nk, Cv],
//                      Wq [Cq, C], bq [C], Wk [Ck, C], bk [C], Wv [Cv, C], bv [C],
//                      Wo [C, Co], bo [Co]) -> Y [B, Nq, Co]
//   attributes: heads (int, C = heads * d), scale (float, default 1)
//
//   Q = XQ Wq + bq, K = XK Wk + bk, V = XV Wv + bv, each split into `heads` slices of d columns;
//   O_h = softmax_j(scale * Q_h K_h^T) V_h; Y = [O_1 ... O_heads] Wo + bo.
//   The batch dims of XQ and XK/XV are equal, or one of them is 1 (broadcast). Biases hold one
//   value per column (any shape of that many elements).
//
// Why one node: the decoder's cross attentions pair a handful of prompt tokens with the 4096
// image tokens. Projecting all 4096 keys (or queries) through a 256 x 128 weight costs more than
// the attention itself; with few tokens on one side the products re-associate so that the few
// tokens go through the weights instead:
//   few queries (heads * Nq < C): S_h = (scale Q_h Wk_h^T) XK^T, since Q_h bk_h is constant along
//     a softmax row; O_h = (P_h XV) Wv_h + bv_h, since each row of P_h sums to 1;
//   few keys (heads * Nk < C): S_h = XQ (scale Wq_h K_h^T) + scale bq_h K_h^T;
//     Y = sum_h P_h (V_h Wo_h) + bo.
// The fast kernel takes whichever of these and the plain order needs the fewest multiply-adds
// (SAM's decoder, one prompt: about 2x fewer for each of its five cross attentions). The
// reference kernel is the plain order in double, the oracle.
#pragma once

#include <memory>
#include <string>

#include "runtime/op_registry.h"

namespace samq::backends::fast {

// Registers the schema with fast.ProjectedAttention then ref.ProjectedAttention.
void AddProjectedAttentionOp(rt::OpRegistry& r);

// fast_projected_attention.cpp: the fast kernel's factory (declines non-float32 operands).
std::unique_ptr<rt::Kernel> MakeFastProjectedAttention(const rt::KernelBuildInfo& info, std::string* why);

// The operand sizes both kernels work on, from the run-time input shapes.
struct ProjectedAttentionDims {
  int64_t batch = 0, bq = 0, bk = 0;  // output batch; XQ's and XK/XV's batch counts (1 or batch)
  int64_t nq = 0, nk = 0, cq = 0, ck = 0, cv = 0, c = 0, co = 0, heads = 0, d = 0;
  float scale = 1.0f;
};
Result<ProjectedAttentionDims> GetProjectedAttentionDims(const rt::KernelContext& ctx);

// Which association the fast kernel uses for these dims (exposed for tests and the docs).
enum class AttentionOrder { kPlain, kFewQueries, kFewKeys };
AttentionOrder ChooseAttentionOrder(const ProjectedAttentionDims& d);

}  // namespace samq::backends::fast
