#include "passes/fold_constants.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

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

namespace {

// The [start, end) range a Shape node reports, clamped like Python slicing (Shape-15).
std::pair<int64_t, int64_t> ShapeRange(const ir::Node& shape_node, int64_t rank) {
  int64_t start = shape_node.attr_int("start", 0), end = shape_node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  return {start, std::max(start, end)};
}

// Gather(Shape(x), constant indices) where every dim it picks is known, though x's shape as a
// whole is not: the decoders' token count is dynamic, but their attention reshapes read only the
// batch and channel dims, and folding those leaves the head split visible as constants
// (passes/fuse_projected_attention relies on that). Returns the folded value, or nothing.
std::optional<Tensor> FoldGatherOfShape(const ir::Graph& g, const ir::Node& gather,
                                        const std::map<std::string, ir::Node>& shape_producer,
                                        const std::map<std::string, ir::TensorType>& types) {
  if (gather.op_type != "Gather" || !gather.domain.empty() || gather.inputs.size() != 2 ||
      gather.outputs.size() != 1 || gather.attr_int("axis", 0) != 0)
    return std::nullopt;
  auto sp = shape_producer.find(gather.inputs[0]);
  auto idx = g.initializers.find(gather.inputs[1]);
  if (sp == shape_producer.end() || idx == g.initializers.end() || idx->second.rank() > 1) return std::nullopt;
  const Tensor& it = idx->second;
  if (it.dtype() != DType::kInt64 && it.dtype() != DType::kInt32) return std::nullopt;
  auto t = types.find(sp->second.inputs[0]);
  if (t == types.end() || !t->second.rank_known) return std::nullopt;
  const Shape& dims = t->second.dims;
  const auto [start, end] = ShapeRange(sp->second, static_cast<int64_t>(dims.size()));
  const int64_t len = end - start;
  std::vector<int64_t> picked;
  for (int64_t i = 0; i < it.numel(); ++i) {
    int64_t k = it.dtype() == DType::kInt64 ? it.data<int64_t>()[i] : it.data<int32_t>()[i];
    if (k < 0) k += len;
    if (k < 0 || k >= len || dims[start + k] < 0) return std::nullopt;
    picked.push_back(dims[start + k]);
  }
  if (it.rank() == 0) return Tensor::Scalar<int64_t>(picked[0]);
  return Tensor::FromVector<int64_t>({static_cast<int64_t>(picked.size())}, picked);
}

}  // namespace

int FoldKnownShapes(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  int folded = 0;
  // Copies of the Shape nodes, by output (the loop below moves the nodes themselves).
  std::map<std::string, ir::Node> shape_producer;
  for (const auto& node : g.nodes)
    if (node.domain.empty() && node.op_type == "Shape" && node.has_input(0) && node.outputs.size() == 1)
      shape_producer.emplace(node.outputs[0], node);
  std::vector<ir::Node> kept;
  std::map<std::string, Tensor> gathered;
  for (auto& node : g.nodes) {
    if (auto v = FoldGatherOfShape(g, node, shape_producer, types)) {
      gathered[node.outputs[0]] = *v;
      ++folded;
      continue;
    }
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
      const auto [start, end] = ShapeRange(node, static_cast<int64_t>(dims.size()));
      std::vector<int64_t> v(dims.begin() + start, dims.begin() + end);
      g.initializers[node.outputs[0]] = Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
    }
    ++folded;
  }
  g.nodes = std::move(kept);
  for (auto& [name, t] : gathered) g.initializers[name] = std::move(t);
  return folded;
}

}  // namespace samq::passes
