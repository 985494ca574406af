// Exporters move tokens with chains of layout ops: SAM ViT's window partition is
//
//   Pad(x) -> Reshape -> Transpose -> Reshape          (before each windowed block's qkv)
//
// and its unpartition Reshape -> Transpose -> Reshape -> Slice -> Slice (after the proj), each
// node writing its result in full. When every value of such a chain's output is a whole row of
// its input (the last dim, C, moved as a unit) or zero, the chain is one com.samq
// RowGather(x, rows) (backends/cpu/row_gather.h) with a constant row table: one pass over the data
// instead of one per node.
//
// The pass does not reason about the ops' attributes: it runs the chain once at compile time (with
// the reference kernels, through `eval`) on a probe tensor whose element (r, c) holds r * C + c + 1,
// and reads the table off the result. A chain fuses only when every output row is a probe row
// intact (row r's C values in order) or all zeros; anything else (values moved across the last
// dim, pads of another value, broadcasts) leaves it alone. Chains are maximal runs of Pad,
// Reshape, Transpose, Slice, Squeeze and Unsqueeze nodes, each the only reader of the one before,
// with constant parameters (initializers), a float32 input of static shape with C >= 16 (a row
// copy must be worth it) and fewer than 2^24 elements (the probe is exact in float32), and at
// least two nodes that copy (Pad, Transpose, Slice: a Reshape is a view already).
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"
#include "passes/fold_constants.h"

namespace samq::passes {

// Returns the number of RowGather nodes created.
Result<int> FuseRowGather(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types,
                          const NodeEvaluator& eval);

}  // namespace samq::passes
