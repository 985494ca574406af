#include "passes/fuse_attention_rel_pos.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

using TypeMap = std::map<std::string, ir::TensorType>;

// Equation "abcd,XkY->abck" (spaces dropped) with four distinct labels in the first operand, k a
// new one, and the second operand's outer/inner labels given by `table_axis` (1: h, 2: w) and d.
bool IsRelPosEquation(std::string eq, int table_axis) {
  std::erase(eq, ' ');
  const size_t comma = eq.find(','), arrow = eq.find("->");
  if (comma == std::string::npos || arrow == std::string::npos || comma > arrow) return false;
  const std::string a = eq.substr(0, comma), b = eq.substr(comma + 1, arrow - comma - 1), o = eq.substr(arrow + 2);
  if (a.size() != 4 || b.size() != 3 || o.size() != 4) return false;
  if (std::set<char>(a.begin(), a.end()).size() != 4) return false;
  for (char ch : a + b + o)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return false;  // no ellipsis
  const char k = b[1];
  if (a.find(k) != std::string::npos) return false;
  return b[0] == a[table_axis] && b[2] == a[3] && o == a.substr(0, 3) + k;
}

class Rewriter {
 public:
  Rewriter(ir::Graph& g, const TypeMap& types) : g_(g), types_(types) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) readers_[in].push_back(static_cast<int>(i));
    }
    for (const auto& o : g.outputs) readers_[o.name].push_back(-1);  // a graph output is never internal
  }

  int Run() {
    std::vector<bool> dead(g_.nodes.size(), false);
    int rewritten = 0;
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      if (TryRewrite(static_cast<int>(i), dead)) ++rewritten;
    if (rewritten > 0) {
      std::vector<ir::Node> kept;
      for (size_t i = 0; i < g_.nodes.size(); ++i)
        if (!dead[i]) kept.push_back(std::move(g_.nodes[i]));
      g_.nodes = std::move(kept);
    }
    return rewritten;
  }

 private:
  // The default-domain `op` node producing `v` when its readers are exactly `count` nodes.
  const ir::Node* Producer(const std::string& v, const char* op, size_t count) const {
    auto it = producer_.find(v);
    auto r = readers_.find(v);
    if (it == producer_.end() || r == readers_.end() || r->second.size() != count) return nullptr;
    const ir::Node& n = g_.nodes[it->second];
    if (n.op_type != op || !n.domain.empty() || n.outputs.size() != 1) return nullptr;
    return &n;
  }
  Shape Dims(const std::string& v) const { return KnownFloat32Dims(types_, v); }
  int IndexOf(const ir::Node* n) const { return static_cast<int>(n - g_.nodes.data()); }

  bool TryRewrite(int index, std::vector<bool>& dead) {
    ir::Node& n = g_.nodes[index];
    // Float operands (inputs up to the bias), or integer ones (inputs 8..15 all there: Q is then
    // quantized inside the kernel, so a constant factor in front of it can only move into the
    // scale when it is a power of two, below).
    const bool integer = n.inputs.size() == 16 && !n.inputs[10].empty();
    if (n.op_type != "Attention" || n.domain != "com.samq" || n.attr("layout_dims") || n.inputs.size() < 5 ||
        (n.inputs.size() > 6 && !integer) || n.inputs[3].empty() || n.inputs[4].empty())
      return false;
    const ir::Node* eh = Producer(n.inputs[3], "Einsum", 1);
    const ir::Node* ew = Producer(n.inputs[4], "Einsum", 1);
    if (!eh || !ew || eh->inputs.size() != 2 || ew->inputs.size() != 2 || eh->inputs[0] != ew->inputs[0]) return false;
    if (!IsRelPosEquation(eh->attr_string("equation", ""), 1) ||
        !IsRelPosEquation(ew->attr_string("equation", ""), 2))
      return false;
    const ir::Node* rs = Producer(eh->inputs[0], "Reshape", 2);
    if (!rs) return false;
    const std::string q0 = rs->inputs[0];
    const Shape qd = Dims(q0), rq = Dims(eh->inputs[0]), th = Dims(eh->inputs[1]), tw = Dims(ew->inputs[1]);
    const Shape kd = Dims(n.inputs[2]);  // V: [B, Nk, Dv]
    if (qd.size() != 3 || rq.size() != 4 || th.size() != 3 || tw.size() != 3 || kd.size() != 3) return false;
    const int64_t d = qd[2];
    if (rq[0] != qd[0] || rq[1] * rq[2] != qd[1] || rq[3] != d) return false;
    if (th[0] != rq[1] || tw[0] != rq[2] || th[2] != d || tw[2] != d || th[1] * tw[1] != kd[1]) return false;
    // Q: q0 itself or q0 times a constant (folded into the scale).
    float c = 1.0f;
    const ir::Node* mul = nullptr;
    if (n.inputs[0] != q0) {
      mul = Producer(n.inputs[0], "Mul", 1);
      if (!mul || mul->inputs.size() != 2) return false;
      const int side = mul->inputs[0] == q0 ? 1 : mul->inputs[1] == q0 ? 0 : -1;
      if (side < 0) return false;
      auto init = g_.initializers.find(mul->inputs[side]);
      if (init == g_.initializers.end() || init->second.dtype() != DType::kFloat32 || init->second.numel() != 1)
        return false;
      if (Dims(n.inputs[0]) != qd) return false;  // no broadcast beyond q0's dims
      c = init->second.data<float>()[0];
      // Integer Q: code = rint(c * q0 / s) = rint(q0 / (s / c)) exactly only for c = 2^e (both
      // divisions then round the same real number), so Q's scale becomes s / c and the codes
      // are unchanged. SAM ViT-B/L (head dim 64): c = 1/8.
      int e = 0;
      if (integer && !(c > 0.0f && std::frexp(c, &e) == 0.5f)) return false;
    }
    const Tensor* q_scale = nullptr;  // integer Q with c != 1: its scale, divided by c below
    if (integer && c != 1.0f) {
      auto it = g_.initializers.find(n.inputs[10]);
      if (it == g_.initializers.end() || it->second.dtype() != DType::kFloat32 || it->second.numel() != 1)
        return false;
      q_scale = &it->second;
    }
    for (const ir::Node* p : {eh, ew, rs, mul})
      if (p && dead[IndexOf(p)]) return false;
    for (const ir::Node* p : {eh, ew, rs, mul})
      if (p) dead[IndexOf(p)] = true;
    const std::string rh = eh->inputs[1], rw = ew->inputs[1];
    const std::string bias = n.inputs.size() > 5 ? n.inputs[5] : "";
    std::vector<std::string> quant;  // inputs 8..15
    if (integer) quant.assign(n.inputs.begin() + 8, n.inputs.end());
    if (q_scale) {
      const std::string name = n.name + "/q_scale_before_mul";
      const Tensor divided = Tensor::FromVector<float>(q_scale->shape(), {q_scale->data<float>()[0] / c});
      g_.initializers[name] = divided;
      quant[2] = name;
    }
    n.inputs = {q0, n.inputs[1], n.inputs[2], "", "", bias, rh, rw};
    n.inputs.insert(n.inputs.end(), quant.begin(), quant.end());
    const float scale = n.attr_float("scale", 1.0f) * c;
    ir::Attribute a;
    a.name = "scale";
    a.type = ir::AttrType::kFloat;
    a.f = scale;
    n.set_attr(a);
    return true;
  }

  ir::Graph& g_;
  const TypeMap& types_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> readers_;
};

}  // namespace

int FuseAttentionRelPos(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types) {
  return Rewriter(graph, types).Run();
}

}  // namespace samq::passes
