// Constant folding: a node whose inputs are all constant (initializers that are not graph
// inputs, or outputs of folded nodes) is run once at compile time and its outputs become
// initializers. This turns exporter shape arithmetic and Constant nodes into plain values.
// Shape folding: a Shape/Size node whose input's shape is fully known statically folds too, and so
// does a Gather of known dims out of a Shape.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Evaluates one node on constant inputs (null for omitted optional ones).
using NodeEvaluator =
    std::function<Result<std::vector<Tensor>>(const ir::Node&, const std::vector<const Tensor*>&)>;

struct FoldOptions {
  // Do not materialize folded tensors larger than this (e.g. a ConstantOfShape of a huge mask).
  size_t max_folded_bytes = 64 << 20;
};

// Returns the number of nodes folded.
Result<int> FoldConstants(ir::Graph& graph, const NodeEvaluator& eval, const FoldOptions& opts = {});

// Replaces Shape/Size nodes whose input type is fully known (from `types`) by initializers, and
// Gather(Shape(x), constant indices) nodes whose picked dims are known though x's shape is not.
int FoldKnownShapes(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
