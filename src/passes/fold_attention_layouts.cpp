#include "passes/fold_attention_layouts.h"

#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "passes/strided_view.h"

namespace samq::passes {
namespace {

using TypeMap = std::map<std::string, ir::TensorType>;

bool IsLayoutOp(const ir::Node& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.empty()) return false;
  static const std::set<std::string> kOps = {"Reshape", "Transpose", "Squeeze", "Unsqueeze",
                                             "Flatten", "Identity", "Split"};
  return kOps.count(n.op_type) != 0;
}

class Folder {
 public:
  Folder(ir::Graph& g, const TypeMap& types) : g_(g), types_(types) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const auto& o : g.nodes[i].outputs)
        if (!o.empty()) producer_[o] = static_cast<int>(i);
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) readers_[in].push_back(static_cast<int>(i));
    }
    for (const auto& o : g.outputs) graph_outputs_.insert(o.name);
  }

  // Fully known float32 dims of `v`, or nullopt.
  std::optional<Shape> Dims(const std::string& v) const {
    auto it = types_.find(v);
    if (it == types_.end() || !it->second.fully_known()) return std::nullopt;
    return it->second.dims;
  }

  // `view` (of node n's input 0) after n, producing output `out`.
  std::optional<StridedView> Forward(const ir::Node& n, const std::string& out, const StridedView& view) const {
    const auto od = Dims(out);
    if (!od) return std::nullopt;
    if (n.op_type == "Transpose") {
      std::vector<int64_t> perm = n.attr_ints("perm");
      if (perm.empty())
        for (int64_t i = view.rank(); i-- > 0;) perm.push_back(i);
      auto t = view.Transpose(perm);
      return t && t->shape() == *od ? t : std::nullopt;
    }
    if (n.op_type == "Split") {
      int64_t axis = n.attr_int("axis", 0);
      if (axis < 0) axis += view.rank();
      int64_t start = 0;
      for (const auto& o : n.outputs) {
        if (o == out) return view.Narrow(axis, start, (*od)[axis]);
        const auto d = Dims(o);
        if (!d || axis < 0 || axis >= static_cast<int64_t>(d->size())) return std::nullopt;
        start += (*d)[axis];
      }
      return std::nullopt;
    }
    return view.Reshape(*od);  // Reshape, Squeeze, Unsqueeze, Flatten, Identity
  }

  // `view` (of node n's output) expressed over n's input 0: n's inverse (no Split).
  std::optional<StridedView> Backward(const ir::Node& n, const StridedView& view) const {
    const auto id = Dims(n.inputs[0]);
    if (!id) return std::nullopt;
    if (n.op_type == "Transpose") {
      std::vector<int64_t> perm = n.attr_ints("perm");
      if (perm.empty())
        for (int64_t i = view.rank(); i-- > 0;) perm.push_back(i);
      std::vector<int64_t> inverse(perm.size());
      for (size_t i = 0; i < perm.size(); ++i) {
        if (perm[i] < 0 || perm[i] >= static_cast<int64_t>(perm.size())) return std::nullopt;
        inverse[perm[i]] = static_cast<int64_t>(i);
      }
      auto t = view.Transpose(inverse);
      return t && t->shape() == *id ? t : std::nullopt;
    }
    return view.Reshape(*id);
  }

  // The layout ops producing attention input `x`, nearest first; values[i] is chain[i]'s output
  // (values has one more entry: the farthest chain node's input).
  struct Chain {
    std::vector<int> nodes;
    std::vector<std::string> values;
  };
  Chain WalkBack(const std::string& x) const {
    Chain c;
    c.values.push_back(x);
    std::string cur = x;
    while (true) {
      auto it = producer_.find(cur);
      if (it == producer_.end()) break;
      const ir::Node& p = g_.nodes[it->second];
      if (!IsLayoutOp(p) || !Dims(p.inputs[0])) break;
      c.nodes.push_back(it->second);
      cur = p.inputs[0];
      c.values.push_back(cur);
    }
    return c;
  }

  // The operand view over the farthest source the first `max_len` chain nodes allow, as the
  // attribute's ints. `swap` takes x as [..., cols, rows] (K given transposed).
  std::optional<std::vector<int64_t>> InputView(const Chain& c, size_t max_len, bool swap, bool contiguous_cols,
                                                std::string* source) const {
    for (size_t len = max_len + 1; len-- > 0;) {  // the longest chain that works
      std::optional<StridedView> v = StridedView::Dense(*Dims(c.values[len]));
      for (size_t i = len; i-- > 0 && v;) v = Forward(g_.nodes[c.nodes[i]], c.values[i], *v);
      if (!v) continue;
      auto ints = Encode(*v, swap, contiguous_cols);
      if (!ints) continue;
      *source = c.values[len];
      return ints;
    }
    return std::nullopt;
  }

  // [offset, row_stride, col_stride, (size, stride)...] of a [batch..., rows, cols] view.
  static std::optional<std::vector<int64_t>> Encode(StridedView v, bool swap, bool contiguous_cols) {
    const int64_t r = v.rank();
    if (r < 3) return std::nullopt;
    if (swap) {
      std::vector<int64_t> perm(static_cast<size_t>(r));
      for (int64_t i = 0; i < r; ++i) perm[i] = i;
      std::swap(perm[r - 1], perm[r - 2]);
      v = *v.Transpose(perm);
    }
    auto merged = v.MergeDims(0, r - 2);
    if (!merged) return std::nullopt;
    const auto rs = merged->stride(1), cs = merged->stride(2);
    if (!rs || !cs) return std::nullopt;
    const bool single_col = merged->shape()[2] == 1;
    if (contiguous_cols && *cs != 1 && !single_col) return std::nullopt;
    std::vector<int64_t> ints{merged->offset(), *rs, single_col && contiguous_cols ? 1 : *cs};
    for (const ViewFactor& f : merged->factors(0)) {
      ints.push_back(f.size);
      ints.push_back(f.stride);
    }
    return ints;
  }

  // Whether Split node n copies its input (some dim before the axis is > 1). A split along the
  // outermost axis makes views (fast.Split), so reading around it would gain nothing and only
  // keep the whole input alive longer.
  bool SplitCopies(const ir::Node& n) const {
    const auto d = Dims(n.inputs[0]);
    if (!d) return false;
    int64_t axis = n.attr_int("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(d->size());
    int64_t outer = 1;
    for (int64_t i = 0; i < axis && i < static_cast<int64_t>(d->size()); ++i) outer *= (*d)[i];
    return outer > 1;
  }

  // The single-reader layout chain after the attention output `y`, nearest first.
  std::vector<int> OutputChain(const std::string& y) const {
    std::vector<int> chain;
    std::string cur = y;
    while (!graph_outputs_.count(cur)) {
      auto it = readers_.find(cur);
      if (it == readers_.end() || it->second.size() != 1) break;
      const ir::Node& n = g_.nodes[it->second[0]];
      if (!IsLayoutOp(n) || n.op_type == "Split" || n.outputs.size() != 1 || n.inputs[0] != cur ||
          !Dims(n.outputs[0]))
        break;
      chain.push_back(it->second[0]);
      cur = n.outputs[0];
    }
    return chain;
  }

  int Run() {
    std::set<int> removed;
    int folded = 0;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      ir::Node& n = g_.nodes[i];
      if (n.op_type != "Attention" || n.domain != "com.samq" || n.attr("layout_dims") || n.inputs.size() < 3 ||
          n.outputs.size() != 1)
        continue;
      const auto q = Dims(n.inputs[0]), k = Dims(n.inputs[1]), v = Dims(n.inputs[2]), y = Dims(n.outputs[0]);
      if (!q || !k || !v || !y || q->size() < 3) continue;
      const bool kt = n.attr_int("k_transposed", 0) != 0;
      // Read through a chain node only if the fold makes it dead: all its outputs are read by
      // this attention or by the chains themselves. Otherwise (SAM ViT: the qkv split also feeds
      // the rel-pos terms) the node runs anyway, and reading around it only trades a dense
      // operand for a strided one (measured on ViT-B: slower, and +470 MB peak from the longer
      // life of the qkv tensor).
      const Chain chains[3] = {WalkBack(n.inputs[0]), WalkBack(n.inputs[1]), WalkBack(n.inputs[2])};
      // Fixpoint from the attention outwards: a chain node dies when every reader of every output
      // is the attention or a chain node that dies.
      std::set<int> members;
      for (const Chain& c : chains) members.insert(c.nodes.begin(), c.nodes.end());
      std::set<int> dies{static_cast<int>(i)};
      for (bool grew = true; grew;) {
        grew = false;
        for (int m : members) {
          if (dies.count(m)) continue;
          bool all = true;
          for (const auto& o : g_.nodes[m].outputs) {
            if (o.empty()) continue;
            if (graph_outputs_.count(o)) all = false;
            auto it = readers_.find(o);
            if (it != readers_.end())
              for (int r : it->second) all = all && dies.count(r) != 0;
          }
          if (all) {
            dies.insert(m);
            grew = true;
          }
        }
      }
      // A chain may also read through a copying Split whose other outputs stay read elsewhere
      // (Hiera's q-pool blocks: Q goes to a MaxPool, K and V only to this attention): the Split
      // then writes only those outputs (EliminateDeadNodes drops the unread ones), and K and V
      // are read out of the projection in place instead of copied.
      auto output_dies = [&](const std::string& o) {
        if (graph_outputs_.count(o)) return false;
        auto it = readers_.find(o);
        if (it != readers_.end())
          for (int r : it->second)
            if (!dies.count(r)) return false;
        return true;
      };
      auto owned = [&](const Chain& c, size_t at) {
        const int node = c.nodes[at];
        if (dies.count(node)) return true;
        return g_.nodes[node].op_type == "Split" && SplitCopies(g_.nodes[node]) && output_dies(c.values[at]);
      };
      size_t max_len[3];
      for (int j = 0; j < 3; ++j) {
        max_len[j] = 0;
        while (max_len[j] < chains[j].nodes.size() && owned(chains[j], max_len[j])) ++max_len[j];
      }
      std::string sources[3];
      const auto qv = InputView(chains[0], max_len[0], false, true, &sources[0]);
      const auto kv = InputView(chains[1], max_len[1], kt, false, &sources[1]);
      const auto vv = InputView(chains[2], max_len[2], false, true, &sources[2]);
      if (!qv || !kv || !vv) continue;
      // The output: the longest chain whose end Y can be written into directly.
      const std::vector<int> chain = OutputChain(n.outputs[0]);
      std::optional<std::vector<int64_t>> yv;
      size_t used = 0;
      for (size_t len = chain.size() + 1; len-- > 0 && !yv;) {
        const std::string& t = len == 0 ? n.outputs[0] : g_.nodes[chain[len - 1]].outputs[0];
        std::optional<StridedView> view = StridedView::Dense(*Dims(t));
        for (size_t j = len; j-- > 0 && view;) view = Backward(g_.nodes[chain[j]], *view);
        if (view) yv = Encode(*view, false, true);
        used = len;
      }
      if (!yv) continue;
      const bool changes = used > 0 || sources[0] != n.inputs[0] || sources[1] != n.inputs[1] ||
                           sources[2] != n.inputs[2];
      if (!changes) continue;
      const int64_t r = static_cast<int64_t>(q->size());
      const std::string out = used == 0 ? n.outputs[0] : g_.nodes[chain[used - 1]].outputs[0];
      const Shape out_dims = *Dims(out);
      for (size_t j = 0; j < used; ++j) removed.insert(chain[j]);
      for (int j = 0; j < 3; ++j) n.inputs[j] = sources[j];
      n.outputs[0] = out;
      std::erase_if(n.attributes, [](const ir::Attribute& a) { return a.name == "k_transposed"; });
      SetInts(n, "layout_dims", {(*q)[r - 2], (*v)[r - 2], (*q)[r - 1], (*v)[r - 1]});
      SetInts(n, "q_view", *qv);
      SetInts(n, "k_view", *kv);
      SetInts(n, "v_view", *vv);
      SetInts(n, "y_view", *yv);
      SetInts(n, "output_shape", out_dims);
      ++folded;
    }
    if (!removed.empty()) {
      std::vector<ir::Node> kept;
      for (size_t i = 0; i < g_.nodes.size(); ++i)
        if (!removed.count(static_cast<int>(i))) kept.push_back(std::move(g_.nodes[i]));
      g_.nodes = std::move(kept);
    }
    return folded;
  }

 private:
  static void SetInts(ir::Node& n, const char* name, std::vector<int64_t> ints) {
    ir::Attribute a;
    a.name = name;
    a.type = ir::AttrType::kInts;
    a.ints = std::move(ints);
    n.attributes.push_back(std::move(a));
  }

  ir::Graph& g_;
  const TypeMap& types_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> readers_;
  std::set<std::string> graph_outputs_;
};

}  // namespace

int FoldAttentionLayouts(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types) {
  return Folder(graph, types).Run();
}

}  // namespace samq::passes
