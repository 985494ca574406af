#include "quant/scheme/quant_plan.h"

#include <algorithm>
#include <regex>

#include "runtime/shape_inference.h"

namespace samq::quant {

const std::vector<std::string>& QuantizableOpTypes() {
  static const std::vector<std::string> kTypes = {"MatMul", "Conv", "Gemm"};
  return kTypes;
}

namespace {

struct Context {
  const ir::Graph& graph;
  const rt::TypeMap& types;
  std::set<std::string> graph_inputs;

  // A weight: a float32 initializer the caller cannot override.
  bool is_weight(const std::string& v) const {
    auto it = graph.initializers.find(v);
    return it != graph.initializers.end() && !graph_inputs.count(v) &&
           it->second.dtype() == DType::kFloat32;
  }
  bool is_float_activation(const std::string& v) const {
    if (graph.is_initializer(v) && !graph_inputs.count(v)) return false;
    auto it = types.find(v);
    return it != types.end() && it->second.dtype == DType::kFloat32;
  }
};

// Per-channel axis of a weight: the output-channel dimension of the op that consumes it.
int WeightAxis(const ir::Node& n, int input, int64_t rank, bool per_channel) {
  if (!per_channel || rank < 2) return -1;
  if (n.op_type == "Conv") return input == 1 ? 0 : -1;
  if (n.op_type == "Gemm") {
    if (input != 1) return -1;
    return n.attr_int("transB", 0) != 0 ? 0 : 1;
  }
  if (n.op_type == "MatMul") return input == 1 ? static_cast<int>(rank - 1) : -1;
  return -1;
}

// Why `n` cannot be quantized, or "" with `plan` filled.
std::string PlanNode(const Context& c, const ir::Node& n, const QuantizeConfig& cfg, NodePlan& plan) {
  plan.name = n.name;
  plan.op_type = n.op_type;
  // Inputs that take part: Conv X, W (bias stays float); MatMul A, B; Gemm A, B (C stays float).
  for (int i = 0; i < 2; ++i) {
    if (!n.has_input(i)) return "input " + std::to_string(i) + " is missing";
    const std::string& v = n.inputs[i];
    if (c.is_weight(v)) {
      if (n.op_type == "Conv" && i == 0) return "its data input is a constant";
      const int64_t rank = c.graph.initializers.at(v).rank();
      plan.weights.push_back({i, WeightAxis(n, i, rank, cfg.per_channel)});
    } else if (c.is_float_activation(v)) {
      plan.activation_inputs.push_back(i);
    } else {
      return "input '" + v + "' is not float32 (or its type is unknown)";
    }
  }
  if (n.op_type == "Conv" && plan.weights.empty()) return "its weight is not a constant";
  if (plan.weights.empty() && !cfg.quantize_attention)
    return "both inputs are activations (attention-style MatMul; pass --quantize-attention)";
  if (plan.activation_inputs.empty()) return "both inputs are constants";
  return "";
}

}  // namespace

Result<QuantPlan> PlanQuantization(const ir::Graph& graph, int64_t opset, const rt::OpRegistry& registry,
                                   const QuantizeConfig& cfg) {
  const auto& known = QuantizableOpTypes();
  for (const auto& t : cfg.op_types)
    if (std::find(known.begin(), known.end(), t) == known.end())
      return Status::UserF("--op-types: '{}' cannot be quantized (supported: MatMul, Conv, Gemm)", t);
  std::vector<std::pair<std::string, std::regex>> excludes;
  for (const auto& pattern : cfg.exclude) {
    try {
      excludes.emplace_back(pattern, std::regex(pattern, std::regex::ECMAScript));
    } catch (const std::regex_error& e) {
      return Status::UserF("--exclude '{}' is not a valid regular expression ({})", pattern, e.what());
    }
  }
  rt::TypeMap types;
  SAMQ_RETURN_IF_ERROR(rt::InferGraphTypes(graph, opset, registry, types));
  Context c{graph, types, {}};
  for (const auto& in : graph.inputs) c.graph_inputs.insert(in.name);

  QuantPlan plan;
  for (const auto& n : graph.nodes) {
    if (!n.domain.empty() || std::find(known.begin(), known.end(), n.op_type) == known.end()) continue;
    if (std::find(cfg.op_types.begin(), cfg.op_types.end(), n.op_type) == cfg.op_types.end()) {
      plan.excluded.push_back({n.name, n.op_type, "op type not in --op-types"});
      continue;
    }
    auto hit = std::find_if(excludes.begin(), excludes.end(),
                            [&](const auto& e) { return std::regex_search(n.name, e.second); });
    if (hit != excludes.end()) {
      plan.excluded.push_back({n.name, n.op_type, "matches --exclude '" + hit->first + "'"});
      continue;
    }
    NodePlan np;
    std::string why = PlanNode(c, n, cfg, np);
    if (!why.empty()) {
      plan.excluded.push_back({n.name, n.op_type, "not quantizable: " + why});
      continue;
    }
    for (int i : np.activation_inputs) plan.activations.insert(n.inputs[i]);
    plan.nodes.push_back(std::move(np));
  }
  if (plan.nodes.empty()) {
    std::string types_list;
    for (const auto& t : cfg.op_types) types_list += (types_list.empty() ? "" : ",") + t;
    return Status::UserF("nothing to quantize: no {} node with a constant weight{} ({} candidate(s) excluded)",
                         types_list, cfg.exclude.empty() ? "" : " survives --exclude", plan.excluded.size());
  }
  return plan;
}

}  // namespace samq::quant
