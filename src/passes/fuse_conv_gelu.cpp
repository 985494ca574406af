#include "passes/fuse_conv_gelu.h"

#include <unordered_map>
#include <vector>

namespace samq::passes {

int FuseConvGelu(ir::Graph& g, bool conv_transpose) {
  std::unordered_map<std::string, int> readers, reader_node;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (!in.empty()) {
        ++readers[in];
        reader_node[in] = static_cast<int>(i);
      }
  for (const auto& o : g.outputs) ++readers[o.name];  // a graph output must stay visible

  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  for (auto& conv : g.nodes) {
    const bool transposed = conv.op_type == "ConvTranspose";
    if ((conv.op_type != "Conv" && !(transposed && conv_transpose)) || !conv.domain.empty() ||
        conv.outputs.size() != 1 || conv.inputs.size() < 2)
      continue;
    auto w = g.initializers.find(conv.inputs[1]);
    if (w == g.initializers.end() || w->second.dtype() != DType::kFloat32) continue;
    const std::string& y = conv.outputs[0];
    if (readers[y] != 1 || !reader_node.count(y)) continue;
    const int gi = reader_node[y];
    ir::Node& gelu = g.nodes[gi];
    if (drop[gi] || gelu.op_type != "Gelu" || gelu.domain != "com.samq" || gelu.outputs.size() != 1 ||
        gelu.inputs.size() != 1)
      continue;
    const std::string approximate = gelu.attr_string("approximate", "none");
    if (approximate != "none" && approximate != "tanh") continue;
    conv.domain = "com.samq";
    if (approximate == "tanh") {
      ir::Attribute a;
      a.name = "approximate";
      a.type = ir::AttrType::kString;
      a.s = approximate;
      conv.attributes.push_back(std::move(a));
    }
    conv.op_type = transposed ? "ConvTransposeGelu" : "ConvGelu";
    conv.outputs[0] = gelu.outputs[0];
    drop[gi] = true;
    ++fused;
  }
  if (fused == 0) return 0;
  std::vector<ir::Node> kept;
  kept.reserve(g.nodes.size() - fused);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!drop[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  return fused;
}

}  // namespace samq::passes
