#include "passes/fuse_gelu.h"

#include <cmath>
#include <set>
#include <unordered_map>

namespace samq::passes {
namespace {

class Matcher {
 public:
  explicit Matcher(const ir::Graph& g) : g_(g) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) ++readers_[in];
    }
    for (const auto& o : g.outputs) ++readers_[o.name];  // a graph output is never internal
  }

  // The node producing `v` when it is `op` (default domain) and `v` is read exactly once.
  const ir::Node* Internal(const std::string& v, const char* op) {
    auto it = producer_.find(v);
    if (it == producer_.end()) return nullptr;
    const ir::Node& n = g_.nodes[it->second];
    if (n.op_type != op || !n.domain.empty() || readers_[v] != 1 || n.outputs.size() != 1) return nullptr;
    return &n;
  }
  bool IsScalar(const std::string& v, double want) const {
    auto it = g_.initializers.find(v);
    if (it == g_.initializers.end() || it->second.dtype() != DType::kFloat32 || it->second.numel() != 1)
      return false;
    const double got = it->second.data<float>()[0];
    return std::fabs(got - want) <= 1e-5 * std::fabs(want);
  }
  // For a binary node with one scalar operand equal to `c`: the other operand ("" if none).
  std::string OtherThanScalar(const ir::Node& n, double c) const {
    if (n.inputs.size() != 2) return "";
    if (IsScalar(n.inputs[1], c)) return n.inputs[0];
    if (IsScalar(n.inputs[0], c)) return n.inputs[1];
    return "";
  }
  int IndexOf(const ir::Node* n) const { return static_cast<int>(n - g_.nodes.data()); }

 private:
  const ir::Graph& g_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, int> readers_;
};

// sqrt(2/pi) * (x + 0.044715 * x^3) -> the nodes, or false.
bool MatchTanhArg(Matcher& m, const std::string& v, const std::string& x, std::vector<const ir::Node*>& used) {
  const ir::Node* scale = m.Internal(v, "Mul");
  if (!scale) return false;
  const std::string sum_v = m.OtherThanScalar(*scale, std::sqrt(2.0 / M_PI));
  const ir::Node* sum = sum_v.empty() ? nullptr : m.Internal(sum_v, "Add");
  if (!sum) return false;
  std::string cubic_v;
  if (sum->inputs[0] == x) cubic_v = sum->inputs[1];
  else if (sum->inputs[1] == x) cubic_v = sum->inputs[0];
  else return false;
  const ir::Node* coef = m.Internal(cubic_v, "Mul");
  if (!coef) return false;
  const std::string cube_v = m.OtherThanScalar(*coef, 0.044715);
  if (cube_v.empty()) return false;
  used.insert(used.end(), {scale, sum, coef});
  if (const ir::Node* pw = m.Internal(cube_v, "Pow")) {
    if (pw->inputs[0] != x || !m.IsScalar(pw->inputs[1], 3.0)) return false;
    used.push_back(pw);
    return true;
  }
  const ir::Node* c1 = m.Internal(cube_v, "Mul");
  if (!c1) return false;
  std::string sq_v;
  if (c1->inputs[0] == x) sq_v = c1->inputs[1];
  else if (c1->inputs[1] == x) sq_v = c1->inputs[0];
  else return false;
  const ir::Node* sq = m.Internal(sq_v, "Mul");
  if (!sq || sq->inputs[0] != x || sq->inputs[1] != x) return false;
  used.insert(used.end(), {c1, sq});
  return true;
}

// The activation branch feeding `1 + t`: Erf(x/sqrt2) or Tanh(...). Sets approximate.
bool MatchBranch(Matcher& m, const std::string& t_v, const std::string& x, std::string* approximate,
                 std::vector<const ir::Node*>& used) {
  if (const ir::Node* erf = m.Internal(t_v, "Erf")) {
    const std::string& arg = erf->inputs[0];
    if (const ir::Node* div = m.Internal(arg, "Div")) {
      if (div->inputs[0] != x || !m.IsScalar(div->inputs[1], std::sqrt(2.0))) return false;
      used.insert(used.end(), {erf, div});
    } else if (const ir::Node* mul = m.Internal(arg, "Mul")) {
      if (m.OtherThanScalar(*mul, 1.0 / std::sqrt(2.0)) != x) return false;
      used.insert(used.end(), {erf, mul});
    } else {
      return false;
    }
    *approximate = "none";
    return true;
  }
  if (const ir::Node* tanh = m.Internal(t_v, "Tanh")) {
    used.push_back(tanh);
    *approximate = "tanh";
    return MatchTanhArg(m, tanh->inputs[0], x, used);
  }
  return false;
}

}  // namespace

int FuseGelu(ir::Graph& g) {
  int fused = 0;
  // All matches are collected on one index of the graph, then applied. Matches cannot share
  // nodes (every matched node except x's producer has a single reader inside its match); the
  // overlap check is a guard all the same.
  Matcher m(g);
  std::set<int> dead;
  std::vector<std::pair<int, ir::Node>> replacements;  // index of the final Mul -> Gelu node
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& last = g.nodes[i];
    if (last.op_type != "Mul" || !last.domain.empty() || last.inputs.size() != 2) continue;
    const std::string prod_v = m.OtherThanScalar(last, 0.5);
    const ir::Node* prod = prod_v.empty() ? nullptr : m.Internal(prod_v, "Mul");
    if (!prod) continue;
    // prod = x * (1 + t): try both operands as the (1 + t) side.
    for (int side = 0; side < 2; ++side) {
      const ir::Node* one_plus = m.Internal(prod->inputs[side], "Add");
      if (!one_plus) continue;
      const std::string x = prod->inputs[1 - side];
      const std::string t_v = m.OtherThanScalar(*one_plus, 1.0);
      if (t_v.empty()) continue;
      std::vector<const ir::Node*> used{prod, one_plus};
      std::string approximate;
      if (!MatchBranch(m, t_v, x, &approximate, used)) continue;
      bool overlaps = false;
      for (const ir::Node* n : used) overlaps |= dead.count(m.IndexOf(n)) != 0;
      if (overlaps) break;
      for (const ir::Node* n : used) dead.insert(m.IndexOf(n));
      ir::Node gelu;
      gelu.name = last.name + "/fused_gelu";
      gelu.op_type = "Gelu";
      gelu.domain = "com.samq";
      gelu.inputs = {x};
      gelu.outputs = {last.outputs[0]};
      ir::Attribute a;
      a.name = "approximate";
      a.type = ir::AttrType::kString;
      a.s = approximate;
      gelu.attributes.push_back(a);
      replacements.emplace_back(static_cast<int>(i), std::move(gelu));
      ++fused;
      break;
    }
  }
  for (auto& [i, node] : replacements) g.nodes[i] = std::move(node);
  if (!dead.empty()) {
    std::vector<ir::Node> kept;
    kept.reserve(g.nodes.size() - dead.size());
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (!dead.count(static_cast<int>(i))) kept.push_back(std::move(g.nodes[i]));
    g.nodes = std::move(kept);
  }
  return fused;
}

}  // namespace samq::passes
