#include "passes/fuse_qconv_gelu.h"

#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {

int FuseQConvGelu(ir::Graph& g) {
  const NodeReaders readers(g);

  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  for (auto& conv : g.nodes) {
    if ((conv.op_type != "QConv" && conv.op_type != "QMatMul") || conv.domain != "com.samq" ||
        conv.outputs.size() != 1)
      continue;
    const std::string& y = conv.outputs[0];
    const int gi = readers.OnlyReader(y);
    if (gi < 0) continue;
    const ir::Node& gelu = g.nodes[gi];
    if (drop[gi] || gelu.op_type != "Gelu" || gelu.domain != "com.samq" || gelu.outputs.size() != 1 ||
        gelu.inputs.size() != 1 || gelu.attr_string("approximate", "none") != "none")
      continue;
    conv.op_type += "Gelu";  // QConvGelu, QMatMulGelu
    conv.outputs[0] = gelu.outputs[0];
    drop[gi] = true;
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
