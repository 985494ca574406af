// Static type and shape inference over a whole graph, with the op schemas' infer functions.
// Unknown dims stay -1. Constant inputs (initializers that are not graph inputs) are passed as
// values so shape-computing ops can see them.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "runtime/op_registry.h"

namespace samq::rt {

using TypeMap = std::map<std::string, TensorType>;

ir::TensorType TypeOfValueInfo(const ir::ValueInfo& v);

// Fills `types` for every value. A node whose infer fails while all its inputs are fully known
// is an error in the model (returned); otherwise its outputs are left unknown.
Status InferGraphTypes(const ir::Graph& graph, int64_t opset, const OpRegistry& registry,
                       TypeMap& types);

}  // namespace samq::rt
