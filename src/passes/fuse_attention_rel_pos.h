// Moves SAM ViT's decomposed relative-position terms into the com.samq Attention that
// passes/fuse_sam_attention made, so the attention computes them from its own Q rows:
//
//   q0 [B, Nq, D]  (the head split of the qkv projection)
//   Q     = Mul(q0, c)                                  c: one-element constant (or Q = q0)
//   r_q   = Reshape(q0, [B, H, W, D])
//   rel_h = Einsum('bhwc,hkc->bhwk', r_q, Rh)           Rh [H, KH, D]
//   rel_w = Einsum('bhwc,wkc->bhwk', r_q, Rw)           Rw [W, KW, D]
//   Y     = Attention(Q, K, V, rel_h, rel_w [, bias])   scale s
// becomes
//   Y     = Attention(q0, K, V, -, -, [bias], Rh, Rw)   scale s * c
//
// What it saves on ViT-B: the two Einsums read all of q (12.6 MB at 1024x1024) and write
// rel_h/rel_w at memory speed (~6 ms per global block), the Mul writes a scaled copy of q, and
// because q was read by more than the attention, passes/fold_attention_layouts could not read it
// in place: the head-split Transpose of the whole qkv tensor (37 MB) ran for every block. The
// kernel's extra work is two [1 x D] x [D x KH] products per query row, about 2 % of the block.
//
// Every intermediate must be read only inside the pattern (r_q by the two Einsums), types fully
// known and consistent (H * W = Nq, KH * KW = Nk, the tables' depth D). Anything else stays.
//
// The integer attention (inputs 8..15: Q quantized inside the kernel) is rewritten too when the
// factor c is a power of two (SAM ViT-B/L: 1/8): the kernel's Q becomes q itself with Q's scale
// divided by c, which gives the very codes QuantizeLinear(q * c) gives, and the scale takes c.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of Attention nodes rewritten.
int FuseAttentionRelPos(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
