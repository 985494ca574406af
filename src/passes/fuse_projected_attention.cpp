#include "passes/fuse_projected_attention.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <set>
#include <unordered_map>
#include <vector>

#include "passes/eliminate_dead_nodes.h"

namespace samq::passes {
namespace {

// One entry of a Reshape target: constant * the product of `factors`, each dim `second` of
// tensor `first` read at run time through Shape -> Gather (no factors: a constant).
struct TargetEntry {
  int64_t constant = 1;
  std::vector<std::pair<std::string, int64_t>> factors;
};

// A dim the pattern expects: dim `dim` of tensor `value` (static size `size`, -1 if unknown).
struct DimOf {
  std::string value;
  int64_t dim;
  int64_t size;
};

class Matcher {
 public:
  Matcher(const ir::Graph& g, const std::map<std::string, ir::TensorType>& types) : g_(g), types_(types) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) readers_[in].push_back(static_cast<int>(i));
    }
    for (const auto& o : g.outputs) graph_outputs_.insert(o.name);
  }

  const ir::Node* Producer(const std::string& v) const {
    auto it = producer_.find(v);
    return it == producer_.end() ? nullptr : &g_.nodes[it->second];
  }
  int IndexOf(const ir::Node* n) const { return static_cast<int>(n - g_.nodes.data()); }

  // The `op` node (domain `domain`) producing `v` when v is internal to a pattern: not a graph
  // output, and read by exactly one node besides Shape nodes (checked later with ShapeReadersOk).
  const ir::Node* Internal(const std::string& v, const char* op, const char* domain = "") {
    const ir::Node* n = Producer(v);
    if (!n || n->op_type != op || n->domain != domain || n->outputs.size() != 1 || graph_outputs_.count(v)) return nullptr;
    int others = 0;
    for (int r : Readers(v))
      if (!IsShape(g_.nodes[r])) ++others;
    if (others != 1) return nullptr;
    internals_.push_back(v);
    return n;
  }

  // Every Shape node reading an internal value only feeds (through any chain) pattern nodes.
  bool ShapeReadersOk(const std::set<int>& pattern) {
    for (const auto& v : internals_)
      for (int r : Readers(v))
        if (IsShape(g_.nodes[r]) && !OnlyFeeds(r, pattern, 0)) return false;
    return true;
  }
  void ResetInternals() { internals_.clear(); }

  Shape Dims(const std::string& v) const {
    auto it = types_.find(v);
    if (it == types_.end() || !it->second.rank_known) return {};
    return it->second.dims;
  }
  bool IsFloat(const std::string& v) const {
    auto it = types_.find(v);
    return it != types_.end() && it->second.dtype == DType::kFloat32;
  }
  const Tensor* Init(const std::string& v) const {
    auto it = g_.initializers.find(v);
    return it == g_.initializers.end() ? nullptr : &it->second;
  }
  // A float32 one-element initializer's value.
  std::optional<float> ScalarInit(const std::string& v) const {
    const Tensor* t = Init(v);
    if (!t || t->dtype() != DType::kFloat32 || t->numel() != 1) return std::nullopt;
    return t->data<float>()[0];
  }

  // The entries of a 1-D int64 Reshape target: an initializer, or a Concat of initializers and
  // Unsqueeze(Gather(Shape(x), scalar index)) pieces. Nothing when it has another form.
  std::optional<std::vector<TargetEntry>> TargetEntries(const std::string& v) const {
    std::vector<TargetEntry> out;
    if (const Tensor* t = Init(v)) {
      if (!AppendConstants(*t, out)) return std::nullopt;
      return out;
    }
    const ir::Node* cat = Producer(v);
    if (!cat || cat->op_type != "Concat" || !cat->domain.empty() || cat->attr_int("axis", 0) != 0) return std::nullopt;
    for (const auto& in : cat->inputs) {
      if (const Tensor* t = Init(in)) {
        if (!AppendConstants(*t, out)) return std::nullopt;
        continue;
      }
      auto dim = UnsqueezedShapeDim(in);
      if (!dim) return std::nullopt;
      out.push_back(*dim);
    }
    return out;
  }

 private:
  static bool IsShape(const ir::Node& n) { return n.op_type == "Shape" && n.domain.empty(); }
  const std::vector<int>& Readers(const std::string& v) const {
    static const std::vector<int> kNone;
    auto it = readers_.find(v);
    return it == readers_.end() ? kNone : it->second;
  }
  bool OnlyFeeds(int node, const std::set<int>& pattern, int depth) const {
    if (depth > 16) return false;  // shape arithmetic is shallow; a deep chain is not ours
    for (const auto& o : g_.nodes[node].outputs) {
      if (o.empty()) continue;
      if (graph_outputs_.count(o)) return false;
      for (int r : Readers(o))
        if (!pattern.count(r) && !OnlyFeeds(r, pattern, depth + 1)) return false;
    }
    return true;
  }
  static bool AppendConstants(const Tensor& t, std::vector<TargetEntry>& out) {
    if (t.rank() > 1 || (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)) return false;
    for (int64_t i = 0; i < t.numel(); ++i)
      out.push_back({t.dtype() == DType::kInt64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i], {}});
    return true;
  }
  // Unsqueeze(scalar) -> the scalar as a TargetEntry.
  std::optional<TargetEntry> UnsqueezedShapeDim(const std::string& v) const {
    const ir::Node* un = Producer(v);
    if (!un || un->op_type != "Unsqueeze" || !un->domain.empty() || un->inputs.empty()) return std::nullopt;
    TargetEntry e;
    if (!ScalarProduct(un->inputs[0], e, 0)) return std::nullopt;
    return e;
  }
  // A scalar that is a product of constants and Gather(Shape(x), k) dims (how the exporters
  // compute H * d when merging heads), multiplied into `e`.
  bool ScalarProduct(const std::string& v, TargetEntry& e, int depth) const {
    if (depth > 8) return false;
    if (const Tensor* t = Init(v)) {
      if (t->numel() != 1 || t->dtype() != DType::kInt64) return false;
      e.constant *= t->data<int64_t>()[0];
      return true;
    }
    const ir::Node* n = Producer(v);
    if (!n || !n->domain.empty()) return false;
    if (n->op_type == "Mul" && n->inputs.size() == 2)
      return ScalarProduct(n->inputs[0], e, depth + 1) && ScalarProduct(n->inputs[1], e, depth + 1);
    if (n->op_type != "Gather" || n->inputs.size() != 2 || n->attr_int("axis", 0) != 0) return false;
    const Tensor* idx = Init(n->inputs[1]);
    const ir::Node* sh = Producer(n->inputs[0]);
    if (!idx || idx->rank() != 0 || idx->dtype() != DType::kInt64 || !sh || !IsShape(*sh) || sh->inputs.empty())
      return false;
    const Shape x = Dims(sh->inputs[0]);
    if (x.empty()) return false;
    const int64_t r = static_cast<int64_t>(x.size());
    int64_t start = sh->attr_int("start", 0), end = sh->attr_int("end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = std::clamp<int64_t>(start, 0, r);
    end = std::clamp<int64_t>(end, start, r);
    int64_t k = idx->data<int64_t>()[0];
    if (k < 0) k += end - start;
    if (k < 0 || k >= end - start) return false;
    e.factors.emplace_back(sh->inputs[0], start + k);
    return true;
  }

  const ir::Graph& g_;
  const std::map<std::string, ir::TensorType>& types_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> readers_;
  std::set<std::string> graph_outputs_;
  std::vector<std::string> internals_;
};

// Sizes the pattern implies for dims whose static size is unknown (the attention output's head
// dims, which shape inference loses behind the dynamic Reshape targets).
using ImpliedDims = std::map<std::pair<std::string, int64_t>, int64_t>;

// Entry `e` at position `pos` of a Reshape of `data` (allowzero 0) stands for one of `dims`:
// it reads that very dim, or its value is known and equal to the dim's known size.
bool EntryIs(const Matcher& m, const TargetEntry& e, size_t pos, const std::string& data,
             const std::vector<DimOf>& dims, const ImpliedDims& implied = {}) {
  // The entry's value when every factor's size is known (-1 otherwise).
  int64_t value = e.constant;
  for (const auto& [v, k] : e.factors) {
    auto it = implied.find({v, k});
    const Shape x = m.Dims(v);
    const int64_t size = it != implied.end() ? it->second : (k < static_cast<int64_t>(x.size()) ? x[k] : -1);
    value = size < 0 || value < 0 ? -1 : value * size;
  }
  for (const auto& d : dims) {
    if (e.constant == 1 && e.factors.size() == 1 && e.factors[0].first == d.value && e.factors[0].second == d.dim)
      return true;
    if (value > 0 && value == d.size) return true;
    if (e.factors.empty() && e.constant == 0 && d.value == data && d.dim == static_cast<int64_t>(pos)) return true;
  }
  return false;
}

// A linear projection (MatMulBias, activation none, 2-D weight and column bias initializers).
struct Projection {
  const ir::Node* node = nullptr;
  int64_t in = 0, out = 0;
};
std::optional<Projection> MatchProjection(const Matcher& m, const ir::Node* n) {
  if (!n || n->op_type != "MatMulBias" || n->domain != "com.samq" || n->inputs.size() != 3 ||
      n->attr_string("activation", "none") != "none")
    return std::nullopt;
  const Tensor* w = m.Init(n->inputs[1]);
  const Tensor* b = m.Init(n->inputs[2]);
  if (!w || !b || w->dtype() != DType::kFloat32 || w->rank() != 2 || b->dtype() != DType::kFloat32 ||
      b->numel() != w->dim(1) || b->rank() > 3)
    return std::nullopt;
  return Projection{n, w->dim(0), w->dim(1)};
}

struct HeadSplit {
  const ir::Node* reshape = nullptr;
  Projection proj;
  int64_t heads = 0, d = 0;
};

// Reshape(MatMulBias(...), [B, N, H, d]) producing `v`: the projection and the split.
std::optional<HeadSplit> MatchHeadSplit(Matcher& m, const std::string& v) {
  const ir::Node* r = m.Internal(v, "Reshape");
  if (!r || r->inputs.size() != 2 || r->attr_int("allowzero", 0) != 0) return std::nullopt;
  const std::string& data = r->inputs[0];
  auto proj = MatchProjection(m, m.Internal(data, "MatMulBias", "com.samq"));
  if (!proj) return std::nullopt;
  const Shape x = m.Dims(data);
  if (x.size() != 3 || (x[2] >= 0 && x[2] != proj->out)) return std::nullopt;
  auto entries = m.TargetEntries(r->inputs[1]);
  if (!entries || entries->size() != 4 || !(*entries)[2].factors.empty() || !(*entries)[3].factors.empty())
    return std::nullopt;
  const int64_t heads = (*entries)[2].constant, d = (*entries)[3].constant;
  if (heads < 1 || d < 1 || heads * d != proj->out) return std::nullopt;
  if (!EntryIs(m, (*entries)[0], 0, data, {{data, 0, x[0]}}) || !EntryIs(m, (*entries)[1], 1, data, {{data, 1, x[1]}}))
    return std::nullopt;
  return HeadSplit{r, *proj, heads, d};
}

const ir::Node* TransposeWithPerm(Matcher& m, const std::string& v, std::vector<int64_t> perm) {
  const ir::Node* t = m.Internal(v, "Transpose");
  return t && t->attr_ints("perm") == perm ? t : nullptr;
}

struct Match {
  HeadSplit q, k, v;
  Projection out;
  float scale = 1.0f;
  std::set<int> nodes;  // every node the fused one replaces, the output projection included
};

// The whole pattern ending at the output projection `last`, or nothing.
std::optional<Match> MatchAt(Matcher& m, const ir::Node& last) {
  m.ResetInternals();
  Match mt;
  auto out = MatchProjection(m, &last);
  if (!out) return std::nullopt;
  mt.out = *out;
  const ir::Node* merge = m.Internal(last.inputs[0], "Reshape");
  if (!merge || merge->inputs.size() != 2 || merge->attr_int("allowzero", 0) != 0) return std::nullopt;
  const ir::Node* ot = TransposeWithPerm(m, merge->inputs[0], {0, 2, 1, 3});
  if (!ot) return std::nullopt;
  const ir::Node* pv = m.Internal(ot->inputs[0], "MatMul");
  if (!pv || pv->inputs.size() != 2) return std::nullopt;
  const ir::Node* sm = m.Internal(pv->inputs[0], "Softmax");
  // An explicit last axis: before opset 13 an absent axis means 1.
  if (!sm || !sm->attr("axis") || (sm->attr_int("axis", -1) != -1 && sm->attr_int("axis", -1) != 3))
    return std::nullopt;
  std::string scores = sm->inputs[0];
  std::vector<const ir::Node*> used{&last, merge, ot, pv, sm};
  for (const char* op : {"Div", "Mul"}) {  // an optional scale by a float scalar
    const ir::Node* sc = m.Internal(scores, op);
    if (!sc || sc->inputs.size() != 2) continue;
    const bool mul = op[0] == 'M';
    int side = m.ScalarInit(sc->inputs[1]) ? 1 : (mul && m.ScalarInit(sc->inputs[0]) ? 0 : -1);
    if (side < 0) return std::nullopt;
    const float c = *m.ScalarInit(sc->inputs[side]);
    if (!mul && c == 0.0f) return std::nullopt;
    mt.scale = mul ? c : 1.0f / c;
    scores = sc->inputs[1 - side];
    used.push_back(sc);
    break;
  }
  const ir::Node* qk = m.Internal(scores, "MatMul");
  if (!qk || qk->inputs.size() != 2) return std::nullopt;
  used.push_back(qk);
  const ir::Node* qt = TransposeWithPerm(m, qk->inputs[0], {0, 2, 1, 3});
  const ir::Node* vt = TransposeWithPerm(m, pv->inputs[1], {0, 2, 1, 3});
  if (!qt || !vt) return std::nullopt;
  used.insert(used.end(), {qt, vt});
  const ir::Node* kt = TransposeWithPerm(m, qk->inputs[1], {0, 2, 3, 1});
  if (kt) {
    used.push_back(kt);
  } else {
    const ir::Node* swap = TransposeWithPerm(m, qk->inputs[1], {0, 1, 3, 2});
    if (!swap) return std::nullopt;
    kt = TransposeWithPerm(m, swap->inputs[0], {0, 2, 1, 3});
    if (!kt) return std::nullopt;
    used.insert(used.end(), {swap, kt});
  }
  auto q = MatchHeadSplit(m, qt->inputs[0]);
  auto k = MatchHeadSplit(m, kt->inputs[0]);
  auto v = MatchHeadSplit(m, vt->inputs[0]);
  if (!q || !k || !v) return std::nullopt;
  if (q->heads != k->heads || q->heads != v->heads || q->d != k->d || q->d != v->d || mt.out.in != q->proj.out)
    return std::nullopt;
  mt.q = *q;
  mt.k = *k;
  mt.v = *v;
  used.insert(used.end(), {q->reshape, k->reshape, v->reshape, q->proj.node, k->proj.node, v->proj.node});
  // The merge Reshape's target: [B, Nq, C] in terms of O ([B, H, Nq, d]) or of its transpose.
  const Shape o = m.Dims(ot->inputs[0]);
  auto entries = m.TargetEntries(merge->inputs[1]);
  if (o.size() != 4 || !entries || entries->size() != 3) return std::nullopt;
  const std::string &ov = ot->inputs[0], &tv = ot->outputs[0];
  const ImpliedDims implied{{{ov, 1}, q->heads}, {{ov, 3}, q->d}, {{tv, 2}, q->heads}, {{tv, 3}, q->d}};
  if (!EntryIs(m, (*entries)[0], 0, tv, {{ov, 0, o[0]}, {tv, 0, o[0]}}) ||
      !EntryIs(m, (*entries)[1], 1, tv, {{ov, 2, o[2]}, {tv, 1, o[2]}}) ||
      !EntryIs(m, (*entries)[2], 2, tv, {{"", -1, mt.out.in}}, implied))
    return std::nullopt;
  // Activations: float32, rank 3.
  for (const auto* p : {q->proj.node, k->proj.node, v->proj.node})
    if (m.Dims(p->inputs[0]).size() != 3 || !m.IsFloat(p->inputs[0])) return std::nullopt;
  for (const ir::Node* n : used) mt.nodes.insert(m.IndexOf(n));
  if (!m.ShapeReadersOk(mt.nodes)) return std::nullopt;
  return mt;
}

}  // namespace

int FuseProjectedAttention(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  std::vector<std::optional<ir::Node>> replacement(g.nodes.size());
  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  {
    Matcher m(g, types);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      auto mt = MatchAt(m, g.nodes[i]);
      if (!mt) continue;
      bool overlaps = false;
      for (int n : mt->nodes) overlaps = overlaps || drop[n];
      if (overlaps) continue;
      for (int n : mt->nodes) drop[n] = true;
      const ir::Node& last = g.nodes[i];
      ir::Node f;
      f.name = last.name + "/fused_projected_attention";
      f.op_type = "ProjectedAttention";
      f.domain = "com.samq";
      for (const Projection* p : {&mt->q.proj, &mt->k.proj, &mt->v.proj}) f.inputs.push_back(p->node->inputs[0]);
      for (const Projection* p : {&mt->q.proj, &mt->k.proj, &mt->v.proj, &mt->out}) {
        f.inputs.push_back(p->node->inputs[1]);
        f.inputs.push_back(p->node->inputs[2]);
      }
      f.outputs = {last.outputs[0]};
      f.attributes = {ir::IntAttr("heads", mt->q.heads), ir::FloatAttr("scale", mt->scale)};
      replacement[i] = std::move(f);
      ++fused;
    }
  }
  if (fused == 0) return 0;
  std::vector<ir::Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (replacement[i]) kept.push_back(std::move(*replacement[i]));
    else if (!drop[i]) kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
  // The Shape -> Gather -> Concat chains that computed the removed Reshapes' targets.
  EliminateDeadNodes(g);
  return fused;
}

}  // namespace samq::passes
