#include "passes/fuse_channels_last_depthwise.h"

#include <optional>
#include <vector>

#include "core/quantize_math.h"
#include "passes/fold_qdq_to_integer.h"
#include "passes/node_readers.h"

namespace samq::passes {
namespace {

bool IsTransposeTokens(const ir::Node& n) {
  return n.op_type == "Transpose" && n.domain.empty() && n.inputs.size() == 1 && n.outputs.size() == 1 &&
         n.attr_ints("perm") == std::vector<int64_t>{0, 2, 1};
}

bool IsReshape(const ir::Node& n) { return n.op_type == "Reshape" && n.domain.empty() && n.outputs.size() == 1; }

const Tensor* Initializer(const ir::Graph& g, const ir::Node& n, int i) {
  if (!n.has_input(i)) return nullptr;
  auto it = g.initializers.find(n.inputs[i]);
  return it == g.initializers.end() ? nullptr : &it->second;
}

// The depthwise conv's weights as float32 [C, 1, KH, KW], its bias input name ("" if none) and,
// for a QConv, its activation scale and zero point names; nullopt if the node is not one.
struct Depthwise {
  Tensor weights;
  std::string bias, x_scale, x_zero_point;
};

std::optional<Depthwise> MatchDepthwise(const ir::Graph& g, const ir::Node& n, int64_t channels) {
  const bool conv = n.op_type == "Conv" && n.domain.empty();
  const bool qconv = n.op_type == "QConv" && n.domain == kSamqDomain;
  if ((!conv && !qconv) || n.outputs.size() != 1 || n.attr_int("group", 1) != channels) return std::nullopt;
  if (n.attr_string("auto_pad", "NOTSET") != "NOTSET") return std::nullopt;
  for (int64_t d : n.attr_ints("dilations"))
    if (d != 1) return std::nullopt;
  const int wi = conv ? 1 : 3, bi = conv ? 2 : 5;
  if (n.num_inputs() > bi + 1) return std::nullopt;
  const Tensor* w = Initializer(g, n, wi);
  if (!w || w->rank() != 4 || w->dim(0) != channels || w->dim(1) != 1) return std::nullopt;
  const auto kernel = n.attr_ints("kernel_shape");
  if (!kernel.empty() && kernel != std::vector<int64_t>{w->dim(2), w->dim(3)}) return std::nullopt;
  if (n.has_input(bi)) {
    const Tensor* b = Initializer(g, n, bi);
    if (!b || b->dtype() != DType::kFloat32 || b->numel() != channels) return std::nullopt;
  }
  Depthwise d;
  d.bias = n.has_input(bi) ? n.inputs[bi] : "";
  if (conv) {
    if (w->dtype() != DType::kFloat32) return std::nullopt;
    d.weights = *w;
    return d;
  }
  const Tensor *xs = Initializer(g, n, 1), *xz = Initializer(g, n, 2), *ws = Initializer(g, n, 4);
  if (!xs || !xz || !ws || xs->numel() != 1 || xs->dtype() != DType::kFloat32 || xz->numel() != 1 ||
      (xz->dtype() != DType::kUInt8 && xz->dtype() != DType::kInt8) || w->dtype() != DType::kInt8 ||
      ws->dtype() != DType::kFloat32 || (ws->numel() != 1 && ws->numel() != channels))
    return std::nullopt;
  // ref.QConv's dequantization (symmetric int8 weights): w * s_w[c].
  const int64_t taps = w->dim(2) * w->dim(3);
  std::vector<float> wf(static_cast<size_t>(w->numel()));
  for (int64_t i = 0; i < w->numel(); ++i)
    wf[i] = DequantizeScalar(w->data<int8_t>()[i], ws->data<float>()[ws->numel() == 1 ? 0 : i / taps], 0);
  d.weights = Tensor::FromVector<float>(w->shape(), wf);
  d.x_scale = n.inputs[1];
  d.x_zero_point = n.inputs[2];
  return d;
}

ir::Node ReshapeNode(ir::Graph& g, const std::string& name, const std::string& in, const std::string& out,
                     std::vector<int64_t> shape) {
  g.initializers[name + "_shape"] = Tensor::FromVector<int64_t>({static_cast<int64_t>(shape.size())}, shape);
  return ir::Node{name, "Reshape", "", {in, name + "_shape"}, {out}, {}, ""};
}

}  // namespace

int FuseChannelsLastDepthwise(ir::Graph& g, const std::map<std::string, ir::TensorType>& types) {
  const NodeReaders readers(g);
  std::vector<bool> drop(g.nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (drop[i] || !IsTransposeTokens(g.nodes[i])) continue;
    const Shape x = KnownFloat32Dims(types, g.nodes[i].inputs[0]);
    if (x.size() != 3) continue;
    const int64_t b = x[0], l = x[1], c = x[2];
    const int ri = readers.OnlyReader(g.nodes[i].outputs[0]);
    if (ri < 0 || drop[ri] || !IsReshape(g.nodes[ri])) continue;
    const Shape r = KnownFloat32Dims(types, g.nodes[ri].outputs[0]);
    if (r.size() != 4 || r[0] != b || r[1] != c || r[2] * r[3] != l) continue;
    const int ci = readers.OnlyReader(g.nodes[ri].outputs[0]);
    if (ci < 0 || drop[ci] || g.nodes[ci].inputs.empty() || g.nodes[ci].inputs[0] != g.nodes[ri].outputs[0]) continue;
    auto dw = MatchDepthwise(g, g.nodes[ci], c);
    if (!dw) continue;
    const Shape y = KnownFloat32Dims(types, g.nodes[ci].outputs[0]);
    if (y.size() != 4 || y[0] != b || y[1] != c) continue;
    const int zi = readers.OnlyReader(g.nodes[ci].outputs[0]);
    if (zi < 0 || drop[zi] || !IsReshape(g.nodes[zi])) continue;
    const Shape z = KnownFloat32Dims(types, g.nodes[zi].outputs[0]);
    if (z != Shape{b, c, y[2] * y[3]}) continue;
    const int oi = readers.OnlyReader(g.nodes[zi].outputs[0]);
    if (oi < 0 || drop[oi] || !IsTransposeTokens(g.nodes[oi])) continue;

    const ir::Node conv = g.nodes[ci];
    const std::string base = conv.name + "/channels_last";
    auto strides = conv.attr_ints("strides");
    auto pads = conv.attr_ints("pads");
    if (strides.empty()) strides = {1, 1};
    if (pads.empty()) pads = {0, 0, 0, 0};
    if (strides.size() != 2 || pads.size() != 4) continue;
    const std::string weights = base + "/weights";
    g.initializers[weights] = dw->weights;
    ir::Node fused_node{base, "DepthwiseConvNhwc", kSamqDomain, {base + "/in", weights, dw->bias}, {base + "/out"},
                        {ir::IntsAttr("pads", pads), ir::IntsAttr("strides", strides)}, "fused from " + conv.describe()};
    if (!dw->x_scale.empty()) {
      fused_node.inputs.push_back(dw->x_scale);
      fused_node.inputs.push_back(dw->x_zero_point);
    } else if (dw->bias.empty()) {
      fused_node.inputs.pop_back();
    }
    g.nodes[i] = ReshapeNode(g, base + "/to_nhwc", g.nodes[i].inputs[0], base + "/in", {b, r[2], r[3], c});
    g.nodes[ci] = std::move(fused_node);
    g.nodes[oi] = ReshapeNode(g, base + "/to_tokens", base + "/out", g.nodes[oi].outputs[0], {b, y[2] * y[3], c});
    drop[ri] = drop[zi] = true;
    ++fused;
  }
  if (fused > 0) EraseMarkedNodes(g, drop);
  return fused;
}

}  // namespace samq::passes
