#include "passes/fuse_residual_add.h"

#include <unordered_map>
#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

// Whether `n` can take an addend (as input 2).
bool GatherWithoutAddend(const ir::Node& n) {
  return n.domain == "com.samq" && n.op_type == "RowGather" && n.inputs.size() == 2 && n.outputs.size() == 1;
}

}  // namespace

int FuseResidualAdd(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  const NodeReaders readers(g);
  std::unordered_map<std::string, int> producer_of;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& o : g.nodes[i].outputs) producer_of[o] = static_cast<int>(i);
  auto produced_at = [&](const std::string& v) {  // -1: a graph input or initializer
    auto it = producer_of.find(v);
    return it == producer_of.end() ? -1 : it->second;
  };

  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
    const ir::Node& add = g.nodes[ai];
    if (add.op_type != "Add" || !(add.domain.empty() || add.domain == "ai.onnx") || add.inputs.size() != 2 ||
        add.outputs.size() != 1)
      continue;
    const Shape dims = KnownFloat32Dims(types, add.inputs[0]);
    if (dims.empty() || dims != KnownFloat32Dims(types, add.inputs[1]) || dims != KnownFloat32Dims(types, add.outputs[0]))
      continue;
    for (int side = 0; side < 2; ++side) {
      const std::string& value = add.inputs[side];
      const std::string& addend = add.inputs[1 - side];
      const int pi = produced_at(value);
      if (pi < 0 || drop[pi] || readers.OnlyReader(value) != static_cast<int>(ai)) continue;
      ir::Node& producer = g.nodes[pi];
      if (!GatherWithoutAddend(producer) || produced_at(addend) >= pi) continue;
      producer.inputs.push_back(addend);
      producer.outputs[0] = add.outputs[0];
      drop[ai] = true;
      ++fused;
      break;
    }
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
