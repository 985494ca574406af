#include "passes/fuse_sam_attention.h"

#include <set>
#include <string>
#include <utility>
#include <vector>
#include <unordered_map>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

class Matcher {
 public:
  Matcher(const ir::Graph& g, const std::map<std::string, ir::TensorType>& types) : g_(g), types_(types) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) ++readers_[in];
    }
    for (const auto& o : g.outputs) ++readers_[o.name];  // a graph output is never internal
  }

  // The default-domain `op` node producing `v`, when `v` is read exactly once.
  const ir::Node* Internal(const std::string& v, const char* op) {
    auto it = producer_.find(v);
    if (it == producer_.end()) return nullptr;
    const ir::Node& n = g_.nodes[it->second];
    if (n.op_type != op || !n.domain.empty() || readers_[v] != 1 || n.outputs.size() != 1) return nullptr;
    return &n;
  }
  // The com.samq QuantDequant producing `v` (read once) with constant one-element scale and
  // zero point (passes/fold_qdq_to_integer makes it from a QuantizeLinear -> DequantizeLinear pair).
  const ir::Node* InternalQuantDequant(const std::string& v) {
    auto it = producer_.find(v);
    if (it == producer_.end()) return nullptr;
    const ir::Node& n = g_.nodes[it->second];
    if (n.op_type != "QuantDequant" || n.domain != "com.samq" || readers_[v] != 1 || n.outputs.size() != 1 ||
        n.inputs.size() != 3)
      return nullptr;
    const Tensor* s = Float32Init(n.inputs[1]);
    auto zp = g_.initializers.find(n.inputs[2]);
    if (!s || s->numel() != 1 || zp == g_.initializers.end() || zp->second.numel() != 1 ||
        (zp->second.dtype() != DType::kUInt8 && zp->second.dtype() != DType::kInt8))
      return nullptr;
    return &n;
  }
  Shape Dims(const std::string& v) const { return KnownFloat32Dims(types_, v); }
  int IndexOf(const ir::Node* n) const { return static_cast<int>(n - g_.nodes.data()); }
  // The float32 initializer `v` (null when `v` is computed or of another type).
  const Tensor* Float32Init(const std::string& v) const {
    auto it = g_.initializers.find(v);
    return it == g_.initializers.end() || it->second.dtype() != DType::kFloat32 ? nullptr : &it->second;
  }

 private:
  const ir::Graph& g_;
  const std::map<std::string, ir::TensorType>& types_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, int> readers_;
};

struct Match {
  std::string q, k, v, rel_h, rel_w, bias;
  std::string p_scale, p_zero_point;  // P's QuantDequant (quantized attention), or empty
  std::vector<std::string> operand_quant;  // Q's, K's, V's scale and zero point, or empty
  float scale = 1.0f;
  bool k_transposed = false;
  std::vector<const ir::Node*> used;  // every node the fused one replaces, but the final MatMul
};

// The two bias adds: S5 + u_h + u_w in any association of operands. Fills rel inputs and `used`
// and returns the reshaped product's value name ("" when it does not match).
std::string MatchBias(Matcher& m, const std::string& r5, const Shape& s5, Match& mt) {
  const ir::Node* outer = m.Internal(r5, "Add");
  if (!outer) return "";
  const Shape want_h{s5[0], s5[1], s5[2], s5[3], 1}, want_w{s5[0], s5[1], s5[2], 1, s5[4]};
  const Shape rel_h_dims{s5[0], s5[1], s5[2], s5[3]}, rel_w_dims{s5[0], s5[1], s5[2], s5[4]};
  for (int side = 0; side < 2; ++side) {
    const ir::Node* inner = m.Internal(outer->inputs[1 - side], "Add");
    if (!inner) continue;
    for (int iside = 0; iside < 2; ++iside) {
      // Bias terms: outer->inputs[side] and inner->inputs[iside]; the rest is the product.
      const ir::Node* ua = m.Internal(outer->inputs[side], "Unsqueeze");
      const ir::Node* ub = m.Internal(inner->inputs[iside], "Unsqueeze");
      if (!ua || !ub) continue;
      const Shape da = m.Dims(ua->outputs[0]), db = m.Dims(ub->outputs[0]);
      const ir::Node* uh = da == want_h ? ua : db == want_h ? ub : nullptr;
      const ir::Node* uw = da == want_w ? ua : db == want_w ? ub : nullptr;
      if (!uh || !uw || uh == uw) continue;
      if (m.Dims(uh->inputs[0]) != rel_h_dims || m.Dims(uw->inputs[0]) != rel_w_dims) continue;
      const std::string& product = inner->inputs[1 - iside];
      if (m.Dims(product) != s5) continue;
      mt.rel_h = uh->inputs[0];
      mt.rel_w = uw->inputs[0];
      mt.used.insert(mt.used.end(), {outer, inner, uh, uw});
      return product;
    }
  }
  return "";
}

// The Softmax whose output P the final MatMul reads, directly or (a quantized attention: the
// QDQ export quantizes both operands of P * V) through a QuantDequant, whose parameters go to
// `mt`. The QuantDequants of Q, K and V stay in the graph: they are elementwise over the
// operands, only P's has to move into the kernel.
const ir::Node* MatchSoftmax(Matcher& m, const std::string& p, Match& mt) {
  if (const ir::Node* qd = m.InternalQuantDequant(p)) {
    const ir::Node* sm = m.Internal(qd->inputs[0], "Softmax");
    if (!sm) return nullptr;
    mt.p_scale = qd->inputs[1];
    mt.p_zero_point = qd->inputs[2];
    mt.used.push_back(qd);
    return sm;
  }
  return m.Internal(p, "Softmax");
}

// Y = MatMul(P, V) at `last`: the whole pattern, or false.
bool MatchAttention(Matcher& m, const ir::Node& last, Match& mt) {
  if (last.op_type != "MatMul" || !last.domain.empty() || last.inputs.size() != 2) return false;
  const ir::Node* sm = MatchSoftmax(m, last.inputs[0], mt);
  if (!sm) return false;
  const Shape x = m.Dims(sm->inputs[0]);
  const int64_t axis = sm->attr_int("axis", -1);
  if (x.size() != 3 || (axis != -1 && axis != 2)) return false;
  const ir::Node* r3 = m.Internal(sm->inputs[0], "Reshape");
  if (!r3) return false;
  const Shape s5 = m.Dims(r3->inputs[0]);
  if (s5.size() != 5 || s5[0] != x[0] || s5[1] * s5[2] != x[1] || s5[3] * s5[4] != x[2]) return false;
  const std::string product5 = MatchBias(m, r3->inputs[0], s5, mt);
  if (product5.empty()) return false;
  const ir::Node* r5 = m.Internal(product5, "Reshape");
  if (!r5 || m.Dims(r5->inputs[0]) != x) return false;
  const ir::Node* qk = m.Internal(r5->inputs[0], "MatMul");
  if (!qk) return false;
  // Kᵀ = Transpose(K); or, in a quantized attention, QuantDequant(Transpose(K)): then Kᵀ is
  // taken as it is (k_transposed).
  const ir::Node* kt = m.Internal(qk->inputs[1], "Transpose");
  if (kt && kt->attr_ints("perm") != std::vector<int64_t>{0, 2, 1}) return false;
  mt.k_transposed = kt == nullptr;
  if (mt.k_transposed && !m.InternalQuantDequant(qk->inputs[1])) return false;
  const Shape q = m.Dims(qk->inputs[0]), v = m.Dims(last.inputs[1]);
  Shape k = m.Dims(kt ? kt->inputs[0] : qk->inputs[1]);
  if (q.size() != 3 || k.size() != 3 || v.size() != 3) return false;
  if (mt.k_transposed) std::swap(k[1], k[2]);
  if (q[0] != x[0] || q[1] != x[1] || k[0] != x[0] || k[1] != x[2] || k[2] != q[2] || v[0] != x[0] ||
      v[1] != x[2])
    return false;
  mt.q = qk->inputs[0];
  mt.k = kt ? kt->inputs[0] : qk->inputs[1];
  mt.v = last.inputs[1];
  mt.used.insert(mt.used.end(), {sm, r3, r5, qk});
  if (kt) mt.used.push_back(kt);
  return true;
}

// A constant full bias fits scores of dims `x` when its last two dims are x's and its leading
// dims, after leading 1s, are x's innermost batch dims (what com.samq Attention broadcasts).
bool BiasFits(const Shape& bias, const Shape& x) {
  if (bias.size() < 2 || bias.size() > x.size()) return false;
  size_t lead = 0;
  while (lead + 2 < bias.size() && bias[lead] == 1) ++lead;
  const size_t off = x.size() - bias.size();
  for (size_t i = lead; i < bias.size(); ++i)
    if (bias[i] != x[off + i]) return false;
  return true;
}

// The scale of S * c, c * S or S / c with c a one-element float32 initializer; fills `scale`
// and returns S's name ("" when `v` is not such a product).
std::string MatchScale(Matcher& m, const std::string& v, float* scale, Match& mt) {
  for (const char* op : {"Mul", "Div"}) {
    const ir::Node* n = m.Internal(v, op);
    if (!n || n->inputs.size() != 2) continue;
    for (int side = 1; side >= (op[0] == 'M' ? 0 : 1); --side) {
      const Tensor* c = m.Float32Init(n->inputs[side]);
      if (!c || c->numel() != 1) continue;
      const float cv = c->data<float>()[0];
      *scale = op[0] == 'M' ? cv : 1.0f / cv;
      mt.used.push_back(n);
      return n->inputs[1 - side];
    }
  }
  return "";
}

// Hiera's and TinyViT's attention (4-D, heads as a batch dim), and any plain attention:
//   Y = MatMul(Softmax(MatMul(Q, Kt) [* c | / c] [+ bias]), V)
// with Kt either Transpose(K) swapping the last two axes (then K is taken as it is) or any other
// value (taken as Kᵀ: k_transposed), c a scalar constant and bias a constant that fits the scores.
bool MatchPlainAttention(Matcher& m, const ir::Node& last, Match& mt) {
  if (last.op_type != "MatMul" || !last.domain.empty() || last.inputs.size() != 2) return false;
  const ir::Node* sm = MatchSoftmax(m, last.inputs[0], mt);
  if (!sm) return false;
  const Shape x = m.Dims(sm->inputs[0]);
  const int64_t r = static_cast<int64_t>(x.size()), axis = sm->attr_int("axis", -1);
  if (r < 3 || (axis != -1 && axis != r - 1)) return false;
  std::string cur = sm->inputs[0];
  if (const ir::Node* add = m.Internal(cur, "Add"); add && add->inputs.size() == 2) {
    for (int side = 0; side < 2 && mt.bias.empty(); ++side) {
      const Tensor* b = m.Float32Init(add->inputs[side]);
      if (!b || !BiasFits(b->shape(), x) || m.Dims(add->inputs[1 - side]) != x) continue;
      mt.bias = add->inputs[side];
      cur = add->inputs[1 - side];
      mt.used.push_back(add);
    }
    if (mt.bias.empty()) return false;
  }
  if (std::string s = MatchScale(m, cur, &mt.scale, mt); !s.empty()) {
    if (m.Dims(s) != x) return false;
    cur = s;
  }
  const ir::Node* qk = m.Internal(cur, "MatMul");
  if (!qk || qk->inputs.size() != 2) return false;
  const Shape q = m.Dims(qk->inputs[0]), kt = m.Dims(qk->inputs[1]), v = m.Dims(last.inputs[1]);
  if (q.size() != x.size() || kt.size() != x.size() || v.size() != x.size()) return false;
  for (int64_t i = 0; i + 2 < r; ++i)
    if (q[i] != x[i] || kt[i] != x[i] || v[i] != x[i]) return false;
  const int64_t nq = x[r - 2], nk = x[r - 1];
  if (q[r - 2] != nq || kt[r - 2] != q[r - 1] || kt[r - 1] != nk || v[r - 2] != nk) return false;
  mt.k = qk->inputs[1];
  mt.k_transposed = true;
  if (const ir::Node* t = m.Internal(qk->inputs[1], "Transpose")) {
    std::vector<int64_t> swap(static_cast<size_t>(r));
    for (int64_t i = 0; i < r; ++i) swap[i] = i;
    std::swap(swap[r - 1], swap[r - 2]);
    if (t->attr_ints("perm") == swap) {
      mt.k = t->inputs[0];
      mt.k_transposed = false;
      mt.used.push_back(t);
    }
  }
  mt.q = qk->inputs[0];
  mt.v = last.inputs[1];
  mt.used.insert(mt.used.end(), {sm, qk});
  return true;
}

// A quantized attention whose Q, K and V are each the output of a QuantDequant read only by it:
// the Attention takes the QuantDequants' inputs and parameters instead (integer operands).
void MatchOperandQuantization(Matcher& m, Match& mt) {
  if (mt.p_scale.empty()) return;
  const ir::Node* qd[3] = {m.InternalQuantDequant(mt.q), m.InternalQuantDequant(mt.k), m.InternalQuantDequant(mt.v)};
  if (!qd[0] || !qd[1] || !qd[2]) return;
  mt.q = qd[0]->inputs[0];
  mt.k = qd[1]->inputs[0];
  mt.v = qd[2]->inputs[0];
  for (const ir::Node* n : qd) {
    mt.operand_quant.insert(mt.operand_quant.end(), {n->inputs[1], n->inputs[2]});
    mt.used.push_back(n);
  }
}

}  // namespace

int FuseSamAttention(ir::Graph& g, const std::map<std::string, ir::TensorType>& types, bool integer_operands) {
  Matcher m(g, types);
  std::set<int> dead;
  std::vector<std::pair<int, ir::Node>> replacements;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Match mt;
    if (!MatchAttention(m, g.nodes[i], mt)) {
      mt = Match{};
      if (!MatchPlainAttention(m, g.nodes[i], mt)) continue;
    }
    if (integer_operands) MatchOperandQuantization(m, mt);
    bool overlaps = false;  // matches cannot share nodes (single readers); a guard all the same
    for (const ir::Node* n : mt.used) overlaps |= dead.count(m.IndexOf(n)) != 0;
    if (overlaps) continue;
    for (const ir::Node* n : mt.used) dead.insert(m.IndexOf(n));
    ir::Node attn;
    attn.name = g.nodes[i].name + "/fused_attention";
    attn.op_type = "Attention";
    attn.domain = "com.samq";
    attn.inputs = {mt.q, mt.k, mt.v, mt.rel_h, mt.rel_w, mt.bias, "", "", mt.p_scale, mt.p_zero_point};
    attn.inputs.insert(attn.inputs.end(), mt.operand_quant.begin(), mt.operand_quant.end());
    while (attn.inputs.size() > 3 && attn.inputs.back().empty()) attn.inputs.pop_back();
    if (mt.scale != 1.0f) {
      ir::Attribute a;
      a.name = "scale";
      a.type = ir::AttrType::kFloat;
      a.f = mt.scale;
      attn.attributes.push_back(a);
    }
    if (mt.k_transposed) {
      ir::Attribute a;
      a.name = "k_transposed";
      a.type = ir::AttrType::kInt;
      a.i = 1;
      attn.attributes.push_back(a);
    }
    attn.outputs = {g.nodes[i].outputs[0]};
    replacements.emplace_back(static_cast<int>(i), std::move(attn));
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
