#include "passes/fuse_conv_gelu.h"

#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {

int FuseConvGelu(ir::Graph& g, bool conv_transpose) {
  const NodeReaders readers(g);

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
    const int gi = readers.OnlyReader(y);
    if (gi < 0) continue;
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
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
