#include "passes/fuse_matmul_bias.h"

#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

// B adds one value per output column: [N], [1, N], [1, 1, N], ...
bool IsColumnBias(const Tensor& b, int64_t n) {
  if (b.dtype() != DType::kFloat32 || b.rank() < 1 || b.dim(-1) != n) return false;
  return b.numel() == n;
}

}  // namespace

int FuseMatMulBias(ir::Graph& g) {
  const NodeReaders readers(g);
  std::vector<bool> drop(g.nodes.size(), false);
  // The single reader of `v` (a node not already fused away), or -1.
  auto only_reader = [&](const std::string& v) {
    const int r = readers.OnlyReader(v);
    return r < 0 || drop[r] ? -1 : r;
  };

  int fused = 0;
  for (auto& mm : g.nodes) {
    if (mm.op_type != "MatMul" || !mm.domain.empty() || mm.inputs.size() != 2 || mm.outputs.size() != 1)
      continue;
    auto w = g.initializers.find(mm.inputs[1]);
    if (w == g.initializers.end() || w->second.dtype() != DType::kFloat32 || w->second.rank() != 2) continue;
    const int64_t n = w->second.dim(1);
    const std::string& y = mm.outputs[0];
    const int ai = only_reader(y);
    if (ai < 0) continue;
    const ir::Node& add = g.nodes[ai];
    if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1)
      continue;
    const std::string& bias = add.inputs[0] == y ? add.inputs[1] : add.inputs[0];
    if (bias == y) continue;  // y + y
    auto b = g.initializers.find(bias);
    if (b == g.initializers.end() || !IsColumnBias(b->second, n)) continue;

    std::string out = add.outputs[0];
    std::string activation = "none";
    const int gi = only_reader(out);
    if (gi >= 0) {
      const ir::Node& gelu = g.nodes[gi];
      if (gelu.op_type == "Gelu" && gelu.domain == "com.samq" && gelu.inputs.size() == 1 &&
          gelu.outputs.size() == 1 && gelu.attr_string("approximate", "none") == "none") {
        out = gelu.outputs[0];
        activation = "gelu";
        drop[gi] = true;
      }
    }
    drop[ai] = true;
    mm.domain = "com.samq";
    mm.op_type = "MatMulBias";
    mm.inputs.push_back(bias);
    mm.outputs[0] = out;
    ir::Attribute a;
    a.name = "activation";
    a.type = ir::AttrType::kString;
    a.s = activation;
    mm.set_attr(a);
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
