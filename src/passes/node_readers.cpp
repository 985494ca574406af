#include "passes/node_readers.h"

namespace samq::passes {

NodeReaders::NodeReaders(const ir::Graph& g) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (!in.empty()) {
        ++count_[in];
        reader_[in] = static_cast<int>(i);
      }
  for (const auto& o : g.outputs) ++count_[o.name];  // a graph output must stay visible
}

int NodeReaders::OnlyReader(const std::string& value) const {
  auto c = count_.find(value);
  auto r = reader_.find(value);
  if (c == count_.end() || c->second != 1 || r == reader_.end()) return -1;
  return r->second;
}

void EraseMarkedNodes(ir::Graph& g, const std::vector<bool>& drop) {
  std::vector<ir::Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

Shape KnownFloat32Dims(const std::map<std::string, ir::TensorType>& types, const std::string& value) {
  auto it = types.find(value);
  if (it == types.end() || !it->second.fully_known() || it->second.dtype != DType::kFloat32) return {};
  return it->second.dims;
}

}  // namespace samq::passes
