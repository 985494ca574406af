// Folds a residual Add into the node that computes one of its operands.
//
// Every transformer block ends its two halves with x + f(x): in a folded QDQ model (TinyViT,
// MobileSAM's encoder) the MLP's fc2 is a com.samq QMatMul and the attention's proj result comes
// back to token order through a com.samq RowGather (the window unpartition), each followed by an
// Add of the block's input. The Add reads both operands and writes a third buffer: a full pass
// over memory for values the producer had in registers. This pass gives the producer the other
// operand as its addend (QMatMul input 8, RowGather input 2), which it adds as it writes each
// value: y = f(x) + r in float32, the Add's own arithmetic (addition commutes exactly), so the
// result is the same bits.
//
// Conditions: Add with two float32 operands of the same fully known shape (no broadcasting); the
// fused operand comes from a QMatMul with a float32 result (no requantization, no GELU: op type
// QMatMul exactly, at most 6 inputs) or a RowGather without an addend, is read by this Add only
// and is not a graph output; the other operand is computed before that producer (or is a graph
// input or initializer), so the node order stays topological.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of Adds folded.
int FuseResidualAdd(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
