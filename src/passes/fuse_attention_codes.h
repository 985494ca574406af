// Hands an integer attention its Q, K and V as 8-bit codes, straight from the qkv projection.
//
// In a QDQ file with quantized attention MatMuls, the qkv projection (a com.samq QMatMul after
// passes/fold_qdq_to_integer) writes float32, and the fused integer attention
// (passes/fuse_sam_attention, inputs 10..15) quantizes Q, K and V again, reading the whole qkv
// tensor back: in TinyViT's windowed stages that pass over memory cost a third of the attention.
// This pass gives the projection Q's, K's and V's scales and zero points as its output
// quantization (inputs 6, 7: one per output column, since the three share one tensor), so it
// emits the codes the attention would compute, a quarter of the bytes, and the attention reads
// them as they are. The arithmetic is the file's: the attention would have computed those very
// codes from the float result (QuantizeLinear with the same parameters).
//
// Conditions: a com.samq Attention in the strided form (layout_dims) with inputs 10..15 as scalar
// initializers and no rel-pos tables (inputs 6, 7 need Q as float); inputs 0..2 all the output of
// one com.samq QMatMul that does not requantize yet, whose only reader that attention is (not a
// graph output); the three zero points of one type; every column of the projection's output
// read as at most one of Q, K and V (or several with equal parameters).
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int FuseAttentionCodes(ir::Graph& graph);  // returns the number of attentions that now read codes

}  // namespace samq::passes
