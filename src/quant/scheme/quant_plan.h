// Which nodes to quantize and how: the scheme, decided on the graph alone (before calibration),
// so that a model with nothing to quantize, or a bad --exclude regex, fails fast.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "quant/quant_options.h"
#include "runtime/op_registry.h"

namespace samq::quant {

struct WeightInput {
  int input = 0;   // index into the node's inputs
  int axis = -1;   // per-channel axis of the weight tensor; -1 = per tensor
};

struct NodePlan {
  std::string name, op_type;
  std::vector<int> activation_inputs;  // indices of inputs that get an activation Q->DQ pair
  std::vector<WeightInput> weights;
};

struct Exclusion {
  std::string node, op_type;
  std::string reason;  // "regex 'X'", "op type not in --op-types", "not quantizable: ..."
};

struct QuantPlan {
  std::vector<NodePlan> nodes;          // in graph order
  std::vector<Exclusion> excluded;
  std::set<std::string> activations;    // values to calibrate
};

// The op types the int8/fp8 scheme knows how to quantize.
const std::vector<std::string>& QuantizableOpTypes();

// User errors: an unknown --op-types entry, a bad regex (named), nothing left to quantize.
Result<QuantPlan> PlanQuantization(const ir::Graph& graph, int64_t opset, const rt::OpRegistry& registry,
                                   const QuantizeConfig& config);

}  // namespace samq::quant
