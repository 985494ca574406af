#include "passes/fold_qdq_to_integer.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

#include "core/quantize_math.h"

namespace samq::passes {
namespace {

bool IsOnnx(const ir::Node& n, std::string_view op) {
  return n.op_type == op && (n.domain.empty() || n.domain == "ai.onnx");
}

// An activation quantized per tensor: the float value before QuantizeLinear and the (shared)
// parameters of its Q/DQ pair.
struct ActivationQ {
  std::string x, scale, zero_point;
};

// A weight in the layout the integer kernels want, with its per-tensor or per-channel scale.
struct WeightQ {
  Tensor w;      // int8
  Tensor scale;  // float32, 1 or one per output channel
};

class Folder {
 public:
  explicit Folder(ir::Graph& g) : g_(g) {
    for (const auto& v : g.inputs) graph_inputs_.insert(v.name);
    for (const auto& v : g.outputs) ++readers_[v.name];
    for (size_t k = 0; k < g.nodes.size(); ++k) {
      for (const auto& o : g.nodes[k].outputs)
        if (!o.empty()) producer_[o] = k;
      for (const auto& i : g.nodes[k].inputs)
        if (!i.empty()) ++readers_[i];
    }
  }

  QdqFoldReport Run();

 private:
  const Tensor* Const(const std::string& name) const {
    if (name.empty() || graph_inputs_.count(name)) return nullptr;
    auto it = g_.initializers.find(name);
    return it == g_.initializers.end() ? nullptr : &it->second;
  }
  const ir::Node* Producer(const std::string& name) const {
    auto it = producer_.find(name);
    return it == producer_.end() ? nullptr : &g_.nodes[it->second];
  }
  bool FromDequantize(const std::string& name) const {
    const ir::Node* p = Producer(name);
    return p && IsOnnx(*p, "DequantizeLinear");
  }
  std::string NewInitializer(const std::string& base, Tensor t) {
    std::string name = base;
    for (int i = 1; g_.initializers.count(name) || producer_.count(name) || graph_inputs_.count(name); ++i)
      name = fmt::format("{}_{}", base, i);
    g_.initializers[name] = std::move(t);
    return name;
  }

  std::optional<ActivationQ> MatchActivation(const std::string& name, std::string* why);
  std::optional<WeightQ> MatchWeight(const std::string& name, int rank, int64_t channel_axis,
                                     std::string* why);
  std::optional<Tensor> MatchBias(const std::string& name, int64_t n, std::string* why);
  std::optional<ir::Node> FoldMatMulOrGemm(const ir::Node& n, std::string* why, size_t* fused_add);
  std::optional<ir::Node> FoldConv(const ir::Node& n, std::string* why);

  ir::Graph& g_;
  std::set<std::string> graph_inputs_;
  std::map<std::string, size_t> producer_;
  std::map<std::string, int> readers_;  // consumers, graph outputs counted as one each
};

// A per-tensor float32 scale, or why not.
bool ScalarScale(const Tensor* s, std::string* why) {
  if (!s) return *why = "scale is not a constant initializer", false;
  if (s->dtype() != DType::kFloat32) return *why = "scale dtype " + std::string(dtype_name(s->dtype())), false;
  if (s->numel() != 1) return *why = "per-channel activation scale", false;
  return true;
}

bool SameValues(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.numel() == b.numel() && a.AsDoubleVector() == b.AsDoubleVector();
}

std::optional<ActivationQ> Folder::MatchActivation(const std::string& name, std::string* why) {
  const ir::Node* dq = Producer(name);
  if (!dq || !IsOnnx(*dq, "DequantizeLinear")) return *why = "activation is not dequantized", std::nullopt;
  const ir::Node* q = Producer(dq->inputs[0]);
  if (!q || !IsOnnx(*q, "QuantizeLinear"))
    return *why = "activation is not produced by QuantizeLinear", std::nullopt;
  for (const ir::Node* n : {q, dq})
    if (n->attr_int("block_size", 0) != 0 || n->attr_int("output_dtype", 0) != 0)
      return *why = n->describe() + " has block_size/output_dtype", std::nullopt;
  const Tensor* qs = Const(q->inputs[1]);
  const Tensor* ds = Const(dq->inputs[1]);
  if (!ScalarScale(qs, why) || !ScalarScale(ds, why)) return std::nullopt;
  if (!SameValues(*qs, *ds)) return *why = "Q and DQ scales differ", std::nullopt;
  const Tensor* qz = q->has_input(2) ? Const(q->inputs[2]) : nullptr;
  const Tensor* dz = dq->has_input(2) ? Const(dq->inputs[2]) : nullptr;
  if (q->has_input(2) != dq->has_input(2) || (q->has_input(2) && (!qz || !dz)))
    return *why = "activation zero point missing or not constant", std::nullopt;
  ActivationQ a{q->inputs[0], dq->inputs[1], dq->has_input(2) ? dq->inputs[2] : ""};
  if (qz) {
    if (qz->dtype() != DType::kUInt8 && qz->dtype() != DType::kInt8)
      return *why = "activation type " + std::string(dtype_name(qz->dtype())) + " (8-bit only)", std::nullopt;
    if (qz->numel() != 1) return *why = "per-channel activation zero point", std::nullopt;
    if (!SameValues(*qz, *dz)) return *why = "Q and DQ zero points differ", std::nullopt;
  } else {
    a.zero_point = NewInitializer(dq->name + "/samq_zero_point", Tensor::Scalar<uint8_t>(0));
  }
  return a;
}

std::optional<WeightQ> Folder::MatchWeight(const std::string& name, int rank, int64_t channel_axis,
                                           std::string* why) {
  const ir::Node* dq = Producer(name);
  if (!dq || !IsOnnx(*dq, "DequantizeLinear")) return *why = "weight is not dequantized", std::nullopt;
  if (dq->attr_int("block_size", 0) != 0) return *why = "blocked weight quantization", std::nullopt;
  const Tensor* scale = Const(dq->inputs[1]);
  if (!scale || scale->dtype() != DType::kFloat32)
    return *why = "weight scale is not a float32 initializer", std::nullopt;
  const Tensor* zp = dq->has_input(2) ? Const(dq->inputs[2]) : nullptr;
  if (dq->has_input(2) && !zp) return *why = "weight zero point is not constant", std::nullopt;
  const Tensor* w = Const(dq->inputs[0]);
  const ir::Node* q = w ? nullptr : Producer(dq->inputs[0]);
  const Tensor* wf = nullptr;
  if (!w) {
    // float initializer -> QuantizeLinear -> DequantizeLinear: quantize it here, once.
    if (!q || !IsOnnx(*q, "QuantizeLinear") || !(wf = Const(q->inputs[0])))
      return *why = "operand is an activation, not a constant weight", std::nullopt;
    if (wf->dtype() != DType::kFloat32) return *why = "float weight is not float32", std::nullopt;
    const Tensor* qs = Const(q->inputs[1]);
    const Tensor* qz = q->has_input(2) ? Const(q->inputs[2]) : nullptr;
    if (!qs || !SameValues(*qs, *scale) || (zp && (!qz || !SameValues(*qz, *zp))) || (!zp && qz) ||
        q->attr_int("axis", 1) != dq->attr_int("axis", 1) || q->attr_int("block_size", 0) != 0 ||
        q->attr_int("output_dtype", 0) != 0)
      return *why = "weight Q and DQ parameters differ", std::nullopt;
    if (!zp) return *why = "weight QuantizeLinear without zero point (uint8)", std::nullopt;
  }
  const Shape& shape = w ? w->shape() : wf->shape();
  const DType wt = zp ? zp->dtype() : (w ? w->dtype() : DType::kUInt8);
  if (wt != DType::kInt8 || (w && w->dtype() != DType::kInt8))
    return *why = "weight type " + std::string(dtype_name(w ? w->dtype() : wt)) + " (int8 only)", std::nullopt;
  if (static_cast<int>(shape.size()) != rank)
    return *why = fmt::format("weight rank {} (want {})", shape.size(), rank), std::nullopt;
  if (zp)
    for (double z : zp->AsDoubleVector())
      if (z != 0) return *why = "asymmetric weights (nonzero weight zero point)", std::nullopt;
  if (scale->numel() != 1) {
    int64_t axis = dq->attr_int("axis", 1);
    if (axis < 0) axis += rank;
    if (axis != channel_axis || scale->rank() != 1 || scale->numel() != shape[channel_axis])
      return *why = fmt::format("per-channel weight axis {} (want {})", dq->attr_int("axis", 1), channel_axis),
             std::nullopt;
  }
  WeightQ out{w ? *w : Tensor::Zeros(DType::kInt8, shape), *scale};
  if (!w) {
    // Same formula as QuantizeLinear; element i's channel is (i / inner) % shape[axis].
    int64_t inner = 1;
    for (int d = static_cast<int>(channel_axis) + 1; d < rank; ++d) inner *= shape[d];
    const float* src = wf->data<float>();
    const float* s = scale->data<float>();
    int8_t* dst = out.w.data<int8_t>();
    for (int64_t i = 0; i < wf->numel(); ++i) {
      const int64_t c = scale->numel() == 1 ? 0 : (i / inner) % shape[channel_axis];
      dst[i] = QuantizeScalar<int8_t>(src[i], s[c], 0);
    }
  }
  return out;
}

std::optional<Tensor> Folder::MatchBias(const std::string& name, int64_t n, std::string* why) {
  if (const Tensor* b = Const(name)) {
    if (b->dtype() != DType::kFloat32 || b->numel() != n || b->rank() > 2)
      return *why = "bias is not a float32 vector of the output channels", std::nullopt;
    return b->Reshaped({n});
  }
  const ir::Node* dq = Producer(name);
  if (!dq || !IsOnnx(*dq, "DequantizeLinear")) return *why = "bias is not constant", std::nullopt;
  const Tensor* q = Const(dq->inputs[0]);
  const Tensor* s = Const(dq->inputs[1]);
  const Tensor* z = dq->has_input(2) ? Const(dq->inputs[2]) : nullptr;
  if (!q || !s || q->dtype() != DType::kInt32 || s->dtype() != DType::kFloat32 || q->numel() != n ||
      q->rank() != 1 || (s->numel() != 1 && s->numel() != n) || (dq->has_input(2) && !z) ||
      dq->attr_int("block_size", 0) != 0)
    return *why = "bias DequantizeLinear is not int32 initializer x float32 scale", std::nullopt;
  // Dequantized exactly as DequantizeLinear would: (float(q) - float(zp)) * scale.
  std::vector<double> zs = z ? z->AsDoubleVector() : std::vector<double>{};
  Tensor out = Tensor::Zeros(DType::kFloat32, {n});
  const int32_t* qv = q->data<int32_t>();
  const float* sv = s->data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t zp = zs.empty() ? 0 : static_cast<int32_t>(zs[zs.size() == 1 ? 0 : i]);
    out.data<float>()[i] = DequantizeScalar(qv[i], sv[s->numel() == 1 ? 0 : i], zp);
  }
  return out;
}

ir::Node MakeQNode(const ir::Node& from, std::string op, const ActivationQ& a, std::vector<std::string> more,
                   std::string output) {
  ir::Node q;
  q.name = from.name;
  q.op_type = std::move(op);
  q.domain = kSamqDomain;
  q.inputs = {a.x, a.scale, a.zero_point};
  q.inputs.insert(q.inputs.end(), more.begin(), more.end());
  q.outputs = {std::move(output)};
  q.doc = "folded from " + from.describe();
  return q;
}

std::optional<ir::Node> Folder::FoldMatMulOrGemm(const ir::Node& n, std::string* why, size_t* fused_add) {
  const bool gemm = n.op_type == "Gemm";
  bool trans_b = false;
  if (gemm) {
    if (n.attr_float("alpha", 1.f) != 1.f || n.attr_float("beta", 1.f) != 1.f || n.attr_int("transA", 0) != 0)
      return *why = "Gemm with alpha/beta != 1 or transA", std::nullopt;
    trans_b = n.attr_int("transB", 0) != 0;
  }
  auto a = MatchActivation(n.inputs[0], why);
  if (!a) return std::nullopt;
  auto w = MatchWeight(n.inputs[1], 2, trans_b ? 0 : 1, why);
  if (!w) return std::nullopt;
  Tensor wkn = w->w;
  if (trans_b) {  // stored [N, K]: the kernels take [K, N]
    const int64_t nn = wkn.dim(0), k = wkn.dim(1);
    wkn = Tensor::Zeros(DType::kInt8, {k, nn});
    for (int64_t i = 0; i < nn; ++i)
      for (int64_t j = 0; j < k; ++j) wkn.data<int8_t>()[j * nn + i] = w->w.data<int8_t>()[i * k + j];
  }
  const int64_t n_out = wkn.dim(1);
  std::vector<std::string> more = {NewInitializer(n.name + "/samq_qweight", wkn),
                                   NewInitializer(n.name + "/samq_wscale", w->scale)};
  std::string output = n.outputs[0];
  if (gemm && n.has_input(2)) {
    auto b = MatchBias(n.inputs[2], n_out, why);
    if (!b) return std::nullopt;
    more.push_back(NewInitializer(n.name + "/samq_bias", *b));
  }
  if (!gemm && readers_[output] == 1) {
    // MatMul -> Add(float [N] initializer): the bias joins the kernel's epilogue.
    for (size_t k = 0; k < g_.nodes.size(); ++k) {
      const ir::Node& add = g_.nodes[k];
      if (!IsOnnx(add, "Add") || add.inputs.size() != 2) continue;
      const int side = add.inputs[0] == output ? 1 : add.inputs[1] == output ? 0 : -1;
      if (side < 0) continue;
      const Tensor* b = Const(add.inputs[side]);
      if (b && b->dtype() == DType::kFloat32 && b->rank() == 1 && b->dim(0) == n_out) {
        more.push_back(NewInitializer(n.name + "/samq_bias", *b));
        output = add.outputs[0];
        *fused_add = k;
      }
      break;
    }
  }
  return MakeQNode(n, "QMatMul", *a, std::move(more), output);
}

std::optional<ir::Node> Folder::FoldConv(const ir::Node& n, std::string* why) {
  auto a = MatchActivation(n.inputs[0], why);
  if (!a) return std::nullopt;
  auto w = MatchWeight(n.inputs[1], 4, 0, why);
  if (!w) return std::nullopt;
  std::vector<std::string> more = {NewInitializer(n.name + "/samq_qweight", w->w),
                                   NewInitializer(n.name + "/samq_wscale", w->scale)};
  if (n.has_input(2)) {
    auto b = MatchBias(n.inputs[2], w->w.dim(0), why);
    if (!b) return std::nullopt;
    more.push_back(NewInitializer(n.name + "/samq_bias", *b));
  }
  ir::Node q = MakeQNode(n, "QConv", *a, std::move(more), n.outputs[0]);
  q.attributes = n.attributes;
  return q;
}

QdqFoldReport Folder::Run() {
  QdqFoldReport report;
  std::map<size_t, ir::Node> replace;
  std::set<size_t> drop;
  for (size_t k = 0; k < g_.nodes.size(); ++k) {
    const ir::Node& n = g_.nodes[k];
    const bool mm = IsOnnx(n, "MatMul") || IsOnnx(n, "Gemm"), conv = IsOnnx(n, "Conv");
    if (!(mm || conv) || n.inputs.size() < 2) continue;
    if (!FromDequantize(n.inputs[0]) && !FromDequantize(n.inputs[1])) continue;
    ++report.quantized_ops;
    std::string why;
    size_t fused_add = SIZE_MAX;
    std::optional<ir::Node> q;
    if (conv && n.attr_ints("kernel_shape").size() > 2) why = "Conv is not 2-D";
    else q = conv ? FoldConv(n, &why) : FoldMatMulOrGemm(n, &why, &fused_add);
    if (!q) {
      report.unfolded.push_back(n.describe() + ": " + why);
      continue;
    }
    ++report.folded;
    if (fused_add != SIZE_MAX) {
      drop.insert(fused_add);
      ++report.fused_bias_adds;
    }
    replace.emplace(k, std::move(*q));
  }
  // Remaining Q -> DQ pairs (requantized outputs, non-folded ops) become one QuantDequant.
  for (size_t k = 0; k < g_.nodes.size(); ++k) {
    const ir::Node& n = g_.nodes[k];
    if (replace.count(k) || drop.count(k) || !IsOnnx(n, "DequantizeLinear")) continue;
    std::string why;
    auto a = MatchActivation(n.outputs[0], &why);
    if (!a) continue;
    ir::Node qd = MakeQNode(n, "QuantDequant", *a, {}, n.outputs[0]);
    replace.emplace(k, std::move(qd));
    ++report.quant_dequant_pairs;
  }
  std::vector<ir::Node> nodes;
  nodes.reserve(g_.nodes.size());
  for (size_t k = 0; k < g_.nodes.size(); ++k) {
    if (drop.count(k)) continue;
    auto it = replace.find(k);
    nodes.push_back(it == replace.end() ? std::move(g_.nodes[k]) : std::move(it->second));
  }
  g_.nodes = std::move(nodes);
  return report;
}

}  // namespace

QdqFoldReport FoldQdqToInteger(ir::Graph& graph) { return Folder(graph).Run(); }

}  // namespace samq::passes
