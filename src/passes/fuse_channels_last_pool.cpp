#include "passes/fuse_channels_last_pool.h"

#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

bool IsTranspose(const ir::Node& n, const std::vector<int64_t>& perm) {
  return n.op_type == "Transpose" && n.domain.empty() && n.inputs.size() == 1 && n.outputs.size() == 1 &&
         n.attr_ints("perm") == perm;
}

// A 2-D MaxPool the channels-last kernel computes the same way: no padding, dilation, ceil
// mode or Indices.
bool IsPlainMaxPool2d(const ir::Node& n) {
  if (n.op_type != "MaxPool" || !n.domain.empty() || n.inputs.size() != 1 || n.outputs.empty()) return false;
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;
  if (n.attr_ints("kernel_shape").size() != 2) return false;
  const auto strides = n.attr_ints("strides");
  if (!strides.empty() && strides.size() != 2) return false;
  for (int64_t v : n.attr_ints("pads"))
    if (v != 0) return false;
  for (int64_t v : n.attr_ints("dilations"))
    if (v != 1) return false;
  const std::string pad = n.attr_string("auto_pad", "NOTSET");
  return n.attr_int("ceil_mode", 0) == 0 && (pad == "NOTSET" || pad == "VALID");
}

}  // namespace

int FuseChannelsLastPool(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  const NodeReaders readers(g);
  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& to_nchw = g.nodes[i];
    if (drop[i] || !IsTranspose(to_nchw, {0, 3, 1, 2}) || KnownFloat32Dims(types, to_nchw.inputs[0]).size() != 4)
      continue;
    const int pi = readers.OnlyReader(to_nchw.outputs[0]);
    if (pi < 0 || drop[pi] || !IsPlainMaxPool2d(g.nodes[pi])) continue;
    const int bi = readers.OnlyReader(g.nodes[pi].outputs[0]);
    if (bi < 0 || drop[bi] || !IsTranspose(g.nodes[bi], {0, 2, 3, 1})) continue;
    ir::Node fused_node;
    fused_node.name = g.nodes[pi].name + "/channels_last";
    fused_node.op_type = "MaxPoolNhwc";
    fused_node.domain = "com.samq";
    fused_node.inputs = {to_nchw.inputs[0]};
    fused_node.outputs = {g.nodes[bi].outputs[0]};
    auto strides = g.nodes[pi].attr_ints("strides");
    if (strides.empty()) strides = {1, 1};
    fused_node.attributes = {ir::IntsAttr("kernel_shape", g.nodes[pi].attr_ints("kernel_shape")),
                             ir::IntsAttr("strides", std::move(strides))};
    g.nodes[bi] = std::move(fused_node);
    drop[i] = drop[pi] = true;
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
