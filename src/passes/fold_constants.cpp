#include "passes/fold_constants.h"

#include <algorithm>
#include <set>

namespace samq::passes {
namespace {
// Initializers listed as graph inputs are defaults a caller may override: not constants.
std::set<std::string> overridable(const ir::Graph& g) {
  std::set<std::string> s;
  for (const auto& v : g.inputs)
    if (g.is_initializer(v.name)) s.insert(v.name);
  return s;
}
}  // namespace

Result<int> FoldConstants(ir::Graph& g, const NodeEvaluator& eval, const FoldOptions& opts) {
  const auto inputs_overridable = overridable(g);
  int folded = 0;
  std::vector<ir::Node> kept;
  kept.reserve(g.nodes.size());
  for (auto& node : g.nodes) {
    bool all_const = true;
    std::vector<const Tensor*> ins;
    for (const auto& in : node.inputs) {
      if (in.empty()) { ins.push_back(nullptr); continue; }
      auto it = g.initializers.find(in);
      if (it == g.initializers.end() || inputs_overridable.count(in)) { all_const = false; break; }
      ins.push_back(&it->second);
    }
    // Random ops must not fold; everything samq registers is deterministic except these.
    static const std::set<std::string> kNondeterministic = {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
        "Bernoulli", "Dropout"};
    if (!all_const || kNondeterministic.count(node.op_type) || !node.domain.empty()) {
      kept.push_back(std::move(node));
      continue;
    }
    auto outs = eval(node, ins);
    if (!outs.ok()) {
      // A node that fails on constant inputs fails at run time too; report it now.
      return outs.status();
    }
    size_t bytes = 0;
    for (const auto& t : *outs) bytes += t.nbytes();
    if (bytes > opts.max_folded_bytes) {
      kept.push_back(std::move(node));
      continue;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty()) g.initializers[node.outputs[i]] = (*outs)[i];
    ++folded;
  }
  g.nodes = std::move(kept);
  return folded;
}

int FoldKnownShapes(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  int folded = 0;
  std::vector<ir::Node> kept;
  for (auto& node : g.nodes) {
    bool is_shape = node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
    auto it = is_shape && node.has_input(0) ? types.find(node.inputs[0]) : types.end();
    if (it == types.end() || !it->second.fully_known() || node.outputs.empty()) {
      kept.push_back(std::move(node));
      continue;
    }
    const Shape& dims = it->second.dims;
    if (node.op_type == "Size") {
      g.initializers[node.outputs[0]] = Tensor::Scalar<int64_t>(shape_numel(dims));
    } else {
      // Shape-15 start/end: clamp like Python slicing.
      int64_t r = static_cast<int64_t>(dims.size());
      int64_t start = node.attr_int("start", 0), end = node.attr_int("end", r);
      if (start < 0) start += r;
      if (end < 0) end += r;
      start = std::clamp<int64_t>(start, 0, r);
      end = std::clamp<int64_t>(end, 0, r);
      std::vector<int64_t> v(dims.begin() + start, dims.begin() + std::max(start, end));
      g.initializers[node.outputs[0]] = Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
    }
    ++folded;
  }
  g.nodes = std::move(kept);
  return folded;
}

}  // namespace samq::passes
