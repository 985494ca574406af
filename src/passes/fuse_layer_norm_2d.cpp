#include "passes/fuse_layer_norm_2d.h"

#include <cmath>
#include <set>
#include <unordered_map>

namespace samq::passes {
namespace {

class Graph {
 public:
  explicit Graph(const ir::Graph& g) : g_(g) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) ++reads_[in];
    }
    for (const auto& o : g.outputs) reads_[o.name] += 1000;  // never internal
  }
  // The producer of `v` when it is a default-domain `op` with one output, and `v` is read
  // `reads` times in all.
  const ir::Node* Internal(const std::string& v, const char* op, int reads = 1) const {
    auto it = producer_.find(v);
    if (it == producer_.end()) return nullptr;
    const ir::Node& n = g_.nodes[it->second];
    if (n.op_type != op || !n.domain.empty() || n.outputs.size() != 1) return nullptr;
    auto r = reads_.find(v);
    return r != reads_.end() && r->second == reads ? &n : nullptr;
  }
  const Tensor* Init(const std::string& v) const {
    auto it = g_.initializers.find(v);
    return it == g_.initializers.end() || it->second.dtype() != DType::kFloat32 ? nullptr : &it->second;
  }
  bool IsScalar(const std::string& v, double want, double tol) const {
    const Tensor* t = Init(v);
    return t && t->numel() == 1 && std::fabs(t->data<float>()[0] - want) <= tol;
  }
  int IndexOf(const ir::Node* n) const { return static_cast<int>(n - g_.nodes.data()); }
  const ir::Graph& g() const { return g_; }

 private:
  const ir::Graph& g_;
  std::unordered_map<std::string, int> producer_, reads_;
};

// ReduceMean over axis 1 with keepdims (axes as attribute, or as a constant input from opset 18).
bool IsChannelMean(const Graph& m, const ir::Node& n) {
  if (n.attr_int("keepdims", 1) != 1 || n.attr_int("noop_with_empty_axes", 0) != 0) return false;
  std::vector<int64_t> axes = n.attr_ints("axes");
  if (n.has_input(1)) {
    auto it = m.g().initializers.find(n.inputs[1]);
    if (it == m.g().initializers.end() || it->second.dtype() != DType::kInt64) return false;
    axes.assign(it->second.data<int64_t>(), it->second.data<int64_t>() + it->second.numel());
  }
  return axes.size() == 1 && (axes[0] == 1 || axes[0] == -3);
}

// For a binary node with one initializer operand: {other operand, initializer}; else empty.
std::pair<std::string, std::string> SplitConst(const Graph& m, const ir::Node& n) {
  if (n.inputs.size() != 2) return {};
  if (m.Init(n.inputs[1])) return {n.inputs[0], n.inputs[1]};
  if (m.Init(n.inputs[0])) return {n.inputs[1], n.inputs[0]};
  return {};
}

}  // namespace

int FuseLayerNorm2d(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  Graph m(g);
  std::set<int> dead;
  std::vector<std::pair<int, ir::Node>> replacements;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& add = g.nodes[i];
    if (add.op_type != "Add" || !add.domain.empty() || add.outputs.size() != 1) continue;
    auto [m_v, b_v] = SplitConst(m, add);
    const ir::Node* mul = m_v.empty() ? nullptr : m.Internal(m_v, "Mul");
    if (!mul) continue;
    auto [d_v, w_v] = SplitConst(m, *mul);
    const ir::Node* div = d_v.empty() ? nullptr : m.Internal(d_v, "Div");
    if (!div || div->inputs.size() != 2) continue;
    const ir::Node* sub = m.Internal(div->inputs[0], "Sub", 2);
    const ir::Node* sqrt = m.Internal(div->inputs[1], "Sqrt");
    if (!sub || !sqrt || sub->inputs.size() != 2) continue;
    const ir::Node* eps_add = m.Internal(sqrt->inputs[0], "Add");
    if (!eps_add) continue;
    auto [var_v, eps_v] = SplitConst(m, *eps_add);
    const Tensor* eps_t = eps_v.empty() ? nullptr : m.Init(eps_v);
    if (!eps_t || eps_t->numel() != 1) continue;
    const ir::Node* var = m.Internal(var_v, "ReduceMean");
    if (!var || !IsChannelMean(m, *var)) continue;
    const ir::Node* pow = m.Internal(var->inputs[0], "Pow");
    if (!pow || pow->inputs.size() != 2 || pow->inputs[0] != sub->outputs[0] || !m.IsScalar(pow->inputs[1], 2.0, 0.0))
      continue;
    const std::string& x = sub->inputs[0];
    const ir::Node* mean = m.Internal(sub->inputs[1], "ReduceMean");
    if (!mean || !IsChannelMean(m, *mean) || mean->inputs[0] != x) continue;
    // x: float32 rank 4 with known C; w, b: [C, 1, 1].
    auto t = types.find(x);
    if (t == types.end() || t->second.dtype != DType::kFloat32 || !t->second.rank_known || t->second.rank() != 4 ||
        t->second.dims[1] < 1)
      continue;
    const int64_t c = t->second.dims[1];
    const Shape per_channel{c, 1, 1};
    const Tensor *w = m.Init(w_v), *b = m.Init(b_v);
    if (!w || !b || w->shape() != per_channel || b->shape() != per_channel) continue;
    std::vector<const ir::Node*> used{mul, div, sub, sqrt, eps_add, var, pow, mean};
    bool overlap = false;
    for (const ir::Node* n : used) overlap |= dead.count(m.IndexOf(n)) != 0;
    if (overlap) continue;
    for (const ir::Node* n : used) dead.insert(m.IndexOf(n));
    ir::Node ln;
    ln.name = add.name + "/fused_layer_norm_2d";
    ln.op_type = "LayerNorm2d";
    ln.domain = "com.samq";
    ln.inputs = {x, w_v, b_v};
    ln.outputs = add.outputs;
    ir::Attribute e;
    e.name = "epsilon";
    e.type = ir::AttrType::kFloat;
    e.f = eps_t->data<float>()[0];
    ln.attributes.push_back(e);
    replacements.emplace_back(static_cast<int>(i), std::move(ln));
  }
  for (auto& [i, node] : replacements) g.nodes[i] = std::move(node);
  if (!dead.empty()) {
    std::vector<ir::Node> kept;
    kept.reserve(g.nodes.size() - dead.size());
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (!dead.count(static_cast<int>(i))) kept.push_back(std::move(g.nodes[i]));
    g.nodes = std::move(kept);
  }
  return static_cast<int>(replacements.size());
}

}  // namespace samq::passes
