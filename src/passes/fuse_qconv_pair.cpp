#include "passes/fuse_qconv_pair.h"

#include <string>
#include <vector>

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

// A com.samq QConv / QConvGelu this pass can take: constant parameters, an int8 dense spatial
// kernel, no output quantization.
bool IsDenseQConv(const ir::Graph& g, const ir::Node& n) {
  if (n.domain != "com.samq" || (n.op_type != "QConv" && n.op_type != "QConvGelu") || n.outputs.size() != 1 ||
      n.inputs.size() < 5 || n.inputs.size() > 6)
    return false;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (!(i == 5 && n.inputs[i].empty()) && !g.is_initializer(n.inputs[i])) return false;
  const Tensor& w = g.initializers.at(n.inputs[3]);
  if (w.dtype() != DType::kInt8 || w.rank() != 4 || (w.dim(2) == 1 && w.dim(3) == 1)) return false;
  return n.attr_int("group", 1) == 1;
}

void AppendPrefixed(const ir::Node& conv, const std::string& prefix, ir::Node* fused) {
  for (const ir::Attribute& a : conv.attributes) {
    ir::Attribute copy = a;
    copy.name = prefix + a.name;
    fused->attributes.push_back(std::move(copy));
  }
  fused->set_attr(ir::StringAttr(prefix + "op", conv.op_type));
}

}  // namespace

int FuseQConvPair(ir::Graph& g) {
  const NodeReaders readers(g);
  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& first = g.nodes[i];
    if (drop[i] || !IsDenseQConv(g, first)) continue;
    const int j = readers.OnlyReader(first.outputs[0]);
    if (j < 0 || drop[j]) continue;
    const ir::Node& second = g.nodes[j];
    if (!IsDenseQConv(g, second) || second.inputs[0] != first.outputs[0]) continue;

    ir::Node pair;
    pair.name = first.name + "/fused_qconv_pair";
    pair.op_type = "QConvPair";
    pair.domain = "com.samq";
    pair.inputs = first.inputs;
    pair.inputs.resize(6);  // an absent first bias stays "" (an omitted optional input)
    pair.inputs.insert(pair.inputs.end(), second.inputs.begin() + 1, second.inputs.end());
    pair.outputs = second.outputs;
    AppendPrefixed(first, "first_", &pair);
    AppendPrefixed(second, "second_", &pair);
    drop[i] = true;
    drop[j] = true;  // the pair takes the second's place below, so its inputs are all computed
    g.nodes[j] = std::move(pair);
    drop[j] = false;
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
