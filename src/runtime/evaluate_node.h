// Runs one node on concrete inputs, outside any session: used by constant folding and by the op
// tests. Infers output types, builds the chosen kernel candidate, runs it.
#pragma once

#include <string>
#include <vector>

#include "runtime/op_registry.h"

namespace samq::rt {

struct EvaluateOptions {
  // Use the candidate with this name ("ref.Conv"); empty = the first that accepts.
  std::string kernel;
  // Treat inputs as constants when building the kernel (lets kernels prepack); default true.
  bool inputs_are_constant = true;
};

// `inputs[i]` may be null for an omitted optional input.
Result<std::vector<Tensor>> EvaluateNode(const OpRegistry& registry, const ir::Node& node,
                                         int64_t opset, const std::vector<const Tensor*>& inputs,
                                         const EvaluateOptions& opts = {});

// Checks the node's input/output counts against its schema (user error naming the node).
Status CheckArity(const OpSchema& schema, const ir::Node& node);

}  // namespace samq::rt
