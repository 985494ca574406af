#include "passes/fuse_mbconv.h"

#include <vector>

#include "ir/attribute.h"
#include "passes/node_readers.h"

namespace samq::passes {
namespace {

bool AllEqual(const std::vector<int64_t>& v, int64_t value) {
  for (int64_t x : v)
    if (x != value) return false;
  return true;
}

// What differs between the float block (ConvGelu / Conv, float32 weights at input 1, bias at 2)
// and the quantized one (QConvGelu / QConv after passes/fold_qdq_to_integer: x, s_x, zp_x,
// W int8, s_w[, bias]).
struct Flavor {
  const char* conv_gelu;    // expand and depthwise op (domain com.samq)
  const char* plain_conv;   // project op without GELU, and its domain
  const char* plain_domain;
  const char* fused;        // MBConv | QMBConv
  DType weight_type;
  int weight_input, bias_input;  // where the conv nodes have them
  bool bias_required;
};
constexpr Flavor kFloat{"ConvGelu", "Conv", "", "MBConv", DType::kFloat32, 1, 2, true};
constexpr Flavor kInteger{"QConvGelu", "QConv", "com.samq", "QMBConv", DType::kInt8, 3, 5, false};

// An initializer of the flavor's weight type and rank 4, or null.
const Tensor* Weight4(const ir::Graph& g, const Flavor& f, const std::string& name) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.dtype() != f.weight_type || it->second.rank() != 4) return nullptr;
  return &it->second;
}

bool NoAutoPad(const ir::Node& n) {
  const std::string a = n.attr_string("auto_pad", "NOTSET");
  return a == "NOTSET" || a.empty();
}

// The node's operands are complete: weight, and a bias when the flavor requires one.
bool HasOperands(const ir::Node& n, const Flavor& f) {
  return static_cast<int>(n.inputs.size()) > f.weight_input && n.has_input(f.weight_input) &&
         static_cast<int>(n.inputs.size()) <= f.bias_input + 1 && (!f.bias_required || n.has_input(f.bias_input)) &&
         n.outputs.size() == 1;
}

// A 1x1, stride 1, unpadded, ungrouped conv with an initializer weight [M, C, 1, 1].
const Tensor* PointwiseWeight(const ir::Graph& g, const Flavor& f, const ir::Node& n) {
  if (!HasOperands(n, f)) return nullptr;
  const Tensor* w = Weight4(g, f, n.inputs[f.weight_input]);
  if (!w || w->dim(2) != 1 || w->dim(3) != 1) return nullptr;
  if (n.attr_int("group", 1) != 1 || !AllEqual(n.attr_ints("strides"), 1) || !AllEqual(n.attr_ints("pads"), 0) ||
      !AllEqual(n.attr_ints("dilations"), 1) || !NoAutoPad(n))
    return nullptr;
  return w;
}

bool IsConvGelu(const ir::Node& n, const Flavor& f) { return n.op_type == f.conv_gelu && n.domain == "com.samq"; }

// The fused node's inputs from one conv: the float flavor takes weight and bias; the integer one
// takes s_x, zp_x, W, s_w and the bias slot (empty when the conv has none).
void AppendStageInputs(const ir::Node& conv, const Flavor& f, std::vector<std::string>* inputs) {
  for (int i = 1; i <= f.bias_input; ++i)
    inputs->push_back(i < static_cast<int>(conv.inputs.size()) ? conv.inputs[i] : std::string());
}

int Fuse(ir::Graph& g, const Flavor& f) {
  const NodeReaders readers(g);
  std::vector<bool> drop(g.nodes.size(), false);
  auto only_reader = [&](const std::string& v) {  // a node not already fused away, or -1
    const int r = readers.OnlyReader(v);
    return r < 0 || drop[r] ? -1 : r;
  };

  int fused = 0;
  for (size_t i1 = 0; i1 < g.nodes.size(); ++i1) {
    const ir::Node& expand = g.nodes[i1];
    if (drop[i1] || !IsConvGelu(expand, f)) continue;
    const Tensor* w1 = PointwiseWeight(g, f, expand);
    if (!w1) continue;
    const std::string approximate = expand.attr_string("approximate", "none");
    if (f.weight_type == DType::kInt8 && approximate != "none") continue;  // fast.QMBConv: erf GELU only
    const int64_t c = w1->dim(1), e = w1->dim(0);

    const int i2 = only_reader(expand.outputs[0]);
    if (i2 < 0) continue;
    const ir::Node& depthwise = g.nodes[i2];
    if (!IsConvGelu(depthwise, f) || !HasOperands(depthwise, f) || depthwise.inputs[0] != expand.outputs[0] ||
        depthwise.attr_string("approximate", "none") != approximate || !NoAutoPad(depthwise) ||
        !AllEqual(depthwise.attr_ints("dilations"), 1))
      continue;
    const Tensor* wd = Weight4(g, f, depthwise.inputs[f.weight_input]);
    if (!wd || wd->dim(0) != e || wd->dim(1) != 1 || wd->dim(2) != wd->dim(3) || depthwise.attr_int("group", 1) != e)
      continue;
    const int64_t k = wd->dim(2);

    const int i3 = only_reader(depthwise.outputs[0]);
    if (i3 < 0) continue;
    const ir::Node& project = g.nodes[i3];
    const bool project_gelu = IsConvGelu(project, f) && project.attr_string("approximate", "none") == approximate;
    if (!(project.op_type == f.plain_conv && project.domain == f.plain_domain) && !project_gelu) continue;
    const Tensor* w3 = PointwiseWeight(g, f, project);
    if (!w3 || w3->dim(1) != e || project.inputs[0] != depthwise.outputs[0]) continue;

    // The residual: only when Z has X's shape (stride 1, "same" pads, as many channels out as in).
    std::string out = project.outputs[0], residual, activation = project_gelu ? "gelu" : "none";
    std::vector<int> folded{static_cast<int>(i1), i2, i3};
    const auto strides = depthwise.attr_ints("strides"), pads = depthwise.attr_ints("pads");
    const bool same_shape = AllEqual(strides, 1) && w3->dim(0) == c && pads.size() == 4 &&
                            pads[0] + pads[2] == k - 1 && pads[1] + pads[3] == k - 1;
    const int i4 = project_gelu ? -1 : only_reader(out);
    if (same_shape && i4 >= 0) {
      const ir::Node& add = g.nodes[i4];
      const std::string& x = expand.inputs[0];
      if (add.op_type == "Add" && add.domain.empty() && add.inputs.size() == 2 && add.outputs.size() == 1 &&
          ((add.inputs[0] == out && add.inputs[1] == x) || (add.inputs[1] == out && add.inputs[0] == x))) {
        residual = x;
        out = add.outputs[0];
        folded.push_back(i4);
        const int i5 = only_reader(out);
        if (i5 >= 0) {
          const ir::Node& gelu = g.nodes[i5];
          if (gelu.op_type == "Gelu" && gelu.domain == "com.samq" && gelu.inputs.size() == 1 &&
              gelu.outputs.size() == 1 && gelu.attr_string("approximate", "none") == approximate) {
            activation = "gelu";
            out = gelu.outputs[0];
            folded.push_back(i5);
          }
        }
      }
    }

    ir::Node fused_node;
    fused_node.name = expand.name + (f.weight_type == DType::kInt8 ? "/fused_qmbconv" : "/fused_mbconv");
    fused_node.op_type = f.fused;
    fused_node.domain = "com.samq";
    fused_node.inputs = {expand.inputs[0]};
    for (const ir::Node* conv : {&expand, &depthwise, &project}) AppendStageInputs(*conv, f, &fused_node.inputs);
    if (!residual.empty()) fused_node.inputs.push_back(residual);
    fused_node.outputs = {out};
    for (const auto& a : depthwise.attributes)
      if (a.name != "group" && a.name != "approximate") fused_node.attributes.push_back(a);
    if (approximate != "none") fused_node.set_attr(ir::StringAttr("approximate", approximate));
    fused_node.set_attr(ir::StringAttr("activation", activation));
    const int last = folded.back();
    for (int i : folded) drop[i] = true;
    drop[last] = false;
    g.nodes[last] = std::move(fused_node);
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace

int FuseMBConv(ir::Graph& g) { return Fuse(g, kFloat); }
int FuseQMBConv(ir::Graph& g) { return Fuse(g, kInteger); }

}  // namespace samq::passes
