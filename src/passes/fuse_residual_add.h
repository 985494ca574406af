// Folds a residual Add into the window unpartition that computes one of its operands.
//
// Every windowed transformer block (SAM ViT's, TinyViT's in MobileSAM) ends its attention half
// with x + unpartition(attn(x)): the attention's result comes back to token order through a
// com.samq RowGather (passes/fuse_row_gather), then an Add of the block's input reads both
// operands and writes a third buffer, a full pass over memory for rows the gather had in hand.
// This pass gives the RowGather the other operand as its addend (input 2), which it adds as it
// writes each row: y = gather(x) + r in float32, the Add's own arithmetic (addition commutes
// exactly), so the result is the same bits.
//
// Measured and left out: folding the MLP's residual into its fc2 QMatMul as a oneDNN post-op
// (binary add or sum on the destination) made those matmuls slower than the Add they replaced
// (ViT-B: fc2 9.5 -> 10.3 ms per block against a 0.37 ms Add).
//
// Conditions: Add with two float32 operands of the same fully known shape (no broadcasting); the
// fused operand comes from a RowGather without an addend, is read by this Add only and is not a
// graph output; the other operand is computed before that RowGather (or is a graph input or
// initializer), so the node order stays topological.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of Adds folded.
int FuseResidualAdd(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
