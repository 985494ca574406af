#include "passes/eliminate_dead_nodes.h"

#include <set>

namespace samq::passes {

int EliminateDeadNodes(ir::Graph& g) {
  std::set<std::string> live;
  for (const auto& o : g.outputs) live.insert(o.name);
  std::vector<bool> keep(g.nodes.size(), false);
  // Walk backwards: nodes are topologically sorted, so consumers come after producers.
  for (size_t k = g.nodes.size(); k-- > 0;) {
    const auto& n = g.nodes[k];
    for (const auto& out : n.outputs)
      if (!out.empty() && live.count(out)) keep[k] = true;
    if (keep[k])
      for (const auto& in : n.inputs)
        if (!in.empty()) live.insert(in);
  }
  int removed = 0;
  std::vector<ir::Node> kept;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    if (keep[k]) kept.push_back(std::move(g.nodes[k]));
    else ++removed;
  }
  g.nodes = std::move(kept);
  // A kept Split computes only the outputs still read (passes/fold_attention_layouts reads some
  // of them around it); the kernels skip outputs with empty names.
  for (auto& n : g.nodes)
    if (n.op_type == "Split" && n.domain.empty())
      for (auto& out : n.outputs)
        if (!out.empty() && !live.count(out)) out.clear();
  std::set<std::string> graph_inputs;
  for (const auto& v : g.inputs) graph_inputs.insert(v.name);
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    if (!live.count(it->first) && !graph_inputs.count(it->first)) it = g.initializers.erase(it);
    else ++it;
  }
  return removed;
}

}  // namespace samq::passes
