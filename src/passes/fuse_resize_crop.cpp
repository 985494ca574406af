#include "passes/fuse_resize_crop.h"

#include <map>
#include <set>
#include <unordered_map>

namespace samq::passes {
namespace {

struct Readers {
  std::vector<int> nodes;  // indices of the nodes reading the value (once per node)
  bool graph_output = false;
};

bool IsDefault(const ir::Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

bool IsLinearResize(const ir::Node& n) {
  return IsDefault(n, "Resize") && n.num_inputs() >= 2 && n.num_inputs() <= 4 && n.outputs.size() == 1 &&
         n.attr_string("mode", "nearest") == "linear";
}

// A match: the node indices of the chain and the Shape nodes reading its intermediates.
struct Chain {
  int first = -1, second = -1;
  std::vector<int> slices;                      // in data-flow order
  std::vector<std::pair<int, int>> shapes;      // (Shape node, number of slices before it)
};

void AppendPrefixed(const ir::Node& from, const char* prefix, ir::Node& to) {
  for (ir::Attribute a : from.attributes) {
    a.name = prefix + a.name;
    to.attributes.push_back(std::move(a));
  }
}

// A Resize's roi, scales, sizes (the input form; "" where omitted).
void AppendResizeArgs(const ir::Node& r, std::vector<std::string>& inputs) {
  for (int i = 1; i <= 3; ++i) inputs.push_back(r.has_input(i) ? r.inputs[i] : "");
}

void AppendSliceArgs(const ir::Node& s, std::vector<std::string>& inputs) {
  for (int i = 1; i <= 4; ++i) inputs.push_back(s.has_input(i) ? s.inputs[i] : "");
}

}  // namespace

int FuseResizeCrop(ir::Graph& g, int64_t opset) {
  if (opset > 0 && opset < 11) return 0;  // Resize-10 and Slice-1 take their arguments differently
  std::unordered_map<std::string, int> producer;
  std::unordered_map<std::string, Readers> readers;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& o : g.nodes[i].outputs)
      if (!o.empty()) producer[o] = static_cast<int>(i);
    std::set<std::string> seen;
    for (const auto& in : g.nodes[i].inputs)
      if (!in.empty() && seen.insert(in).second) readers[in].nodes.push_back(static_cast<int>(i));
  }
  for (const auto& o : g.outputs) readers[o.name].graph_output = true;

  // The intermediate `v` may feed `next` (read once there) and Shape nodes only; the Shape nodes
  // are collected with `slices_before`.
  auto internal = [&](const std::string& v, int next, int slices_before, Chain& c) {
    const Readers& r = readers[v];
    if (r.graph_output) return false;
    bool next_seen = false;
    for (int k : r.nodes) {
      if (k == next) {
        int uses = 0;
        for (const auto& in : g.nodes[k].inputs) uses += in == v;
        if (uses != 1 || g.nodes[k].inputs[0] != v) return false;
        next_seen = true;
      } else if (IsDefault(g.nodes[k], "Shape") && g.nodes[k].outputs.size() == 1) {
        c.shapes.emplace_back(k, slices_before);
      } else {
        return false;
      }
    }
    return next_seen;
  };

  std::vector<Chain> chains;
  std::set<int> claimed;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!IsLinearResize(g.nodes[i])) continue;
    Chain c;
    c.second = static_cast<int>(i);
    // Walk up through the Slices to the first Resize.
    int next = c.second;
    bool ok = true;
    while (ok) {
      auto it = producer.find(g.nodes[next].inputs[0]);
      if (it == producer.end()) { ok = false; break; }
      const ir::Node& p = g.nodes[it->second];
      if (IsDefault(p, "Slice") && p.num_inputs() >= 3 && p.outputs.size() == 1 &&
          static_cast<int>(c.slices.size()) < kCropMaxSlices) {
        c.slices.insert(c.slices.begin(), it->second);
        next = it->second;
        continue;
      }
      if (IsLinearResize(p) && !c.slices.empty()) c.first = it->second;
      else ok = false;
      break;
    }
    if (!ok || c.first < 0) continue;
    // Every intermediate: the first Resize's output and each Slice's output but the last one's
    // reader (the second Resize).
    const int n_slices = static_cast<int>(c.slices.size());
    ok = internal(g.nodes[c.first].outputs[0], c.slices[0], 0, c);
    for (int k = 0; ok && k < n_slices; ++k)
      ok = internal(g.nodes[c.slices[k]].outputs[0], k + 1 < n_slices ? c.slices[k + 1] : c.second, k + 1, c);
    if (!ok) continue;
    std::vector<int> all{c.first, c.second};
    all.insert(all.end(), c.slices.begin(), c.slices.end());
    for (auto [s, unused] : c.shapes) all.push_back(s);
    bool overlap = false;
    for (int k : all) overlap |= claimed.count(k) != 0;
    if (overlap) continue;
    claimed.insert(all.begin(), all.end());
    chains.push_back(std::move(c));
  }

  std::set<int> dead;
  std::map<int, ir::Node> replacement;
  for (const Chain& c : chains) {
    const ir::Node& first = g.nodes[c.first];
    const ir::Node& second = g.nodes[c.second];
    ir::Node fused;
    fused.name = second.name + "/fused_resize_crop";
    fused.op_type = "ResizeCropResize";
    fused.domain = "com.samq";
    fused.inputs = {first.inputs[0]};
    AppendResizeArgs(first, fused.inputs);
    AppendResizeArgs(second, fused.inputs);
    for (int s : c.slices) AppendSliceArgs(g.nodes[s], fused.inputs);
    fused.outputs = {second.outputs[0]};
    AppendPrefixed(first, kCropFirstPrefix, fused);
    AppendPrefixed(second, kCropSecondPrefix, fused);
    for (auto [s, slices_before] : c.shapes) {
      const ir::Node& shape = g.nodes[s];
      ir::Node m;
      m.name = shape.name + "/crop_shape";
      m.op_type = "ResizeCropShape";
      m.domain = "com.samq";
      m.inputs = {first.inputs[0]};
      AppendResizeArgs(first, m.inputs);
      for (int k = 0; k < slices_before; ++k) AppendSliceArgs(g.nodes[c.slices[k]], m.inputs);
      m.outputs = shape.outputs;
      AppendPrefixed(first, kCropFirstPrefix, m);
      for (const char* a : {"start", "end"})
        if (const ir::Attribute* at = shape.attr(a)) m.attributes.push_back(*at);
      replacement[s] = std::move(m);
    }
    replacement[c.second] = std::move(fused);
    dead.insert(c.first);
    dead.insert(c.slices.begin(), c.slices.end());
  }
  if (chains.empty()) return 0;
  std::vector<ir::Node> kept;
  kept.reserve(g.nodes.size() - dead.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (dead.count(static_cast<int>(i))) continue;
    auto it = replacement.find(static_cast<int>(i));
    kept.push_back(it != replacement.end() ? std::move(it->second) : std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
  return static_cast<int>(chains.size());
}

}  // namespace samq::passes
