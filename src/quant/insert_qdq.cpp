#include "quant/insert_qdq.h"

#include <set>

namespace samq::quant {
namespace {

// Fresh names that collide with nothing already in the graph (deterministic suffixes).
class Namer {
 public:
  explicit Namer(const ir::Graph& g) {
    for (const auto& n : g.nodes) {
      used_.insert(n.name);
      for (const auto& v : n.inputs) used_.insert(v);
      for (const auto& v : n.outputs) used_.insert(v);
    }
    for (const auto& [k, v] : g.initializers) used_.insert(k);
    for (const auto& v : g.inputs) used_.insert(v.name);
    for (const auto& v : g.outputs) used_.insert(v.name);
  }
  std::string Fresh(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
};

Tensor ZeroPoint(DType type, int64_t count, int32_t value, bool scalar) {
  Shape shape = scalar ? Shape{} : Shape{count};
  Tensor t = Tensor::Zeros(type, shape);
  if (type == DType::kUInt8)
    for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(value);
  else if (type == DType::kInt8)
    for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(value);
  return t;  // fp8 zero is the all-zero byte
}

ir::Node QdqNode(std::string name, const char* op, std::vector<std::string> inputs, std::string output, int axis) {
  ir::Node n{std::move(name), op, "", std::move(inputs), {std::move(output)}, {}, ""};
  if (axis >= 0) {
    ir::Attribute a;
    a.name = "axis";
    a.type = ir::AttrType::kInt;
    a.i = axis;
    n.attributes.push_back(a);
  }
  return n;
}

}  // namespace

Status InsertQdq(ir::Model& model, const QuantPlan& plan, const QdqTensors& q, QuantMode mode,
                 WeightsForm weights) {
  ir::Graph& g = model.graph;
  Namer names(g);
  std::map<std::string, const NodePlan*> plan_of;
  for (const auto& np : plan.nodes) plan_of[np.name] = &np;

  // value -> its dequantized replacement, and the Q/DQ nodes that make it (emitted before the
  // first node that reads it, which keeps the node list topologically sorted).
  std::map<std::string, std::string> replacement;
  std::map<std::string, std::vector<ir::Node>> pending;

  auto make_activation = [&](const std::string& v) -> Status {
    if (replacement.count(v)) return Status::Ok();
    auto it = q.activations.find(v);
    if (it == q.activations.end()) return Status::InternalF("no calibration for activation '{}'", v);
    const ActivationQParams& p = it->second;
    const std::string scale = names.Fresh(v + "_scale"), zp = names.Fresh(v + "_zero_point");
    const std::string quant = names.Fresh(v + "_quantized"), deq = names.Fresh(v + "_dequantized");
    g.initializers[scale] = Tensor::Scalar<float>(p.scale);
    g.initializers[zp] = ZeroPoint(p.type, 1, p.zero_point, true);
    pending[v].push_back(QdqNode(names.Fresh(v + "_QuantizeLinear"), "QuantizeLinear", {v, scale, zp}, quant, -1));
    pending[v].push_back(QdqNode(names.Fresh(v + "_DequantizeLinear"), "DequantizeLinear", {quant, scale, zp}, deq, -1));
    replacement[v] = deq;
    return Status::Ok();
  };
  auto make_weight = [&](const std::string& w) -> Status {
    if (replacement.count(w)) return Status::Ok();
    auto it = q.weights.find(w);
    if (it == q.weights.end()) return Status::InternalF("no quantized weight for '{}'", w);
    const QuantizedWeight& qw = it->second;
    const bool per_axis = qw.axis >= 0;
    const int64_t count = static_cast<int64_t>(qw.scales.size());
    const std::string scale = names.Fresh(w + "_scale"), zp = names.Fresh(w + "_zero_point");
    const std::string deq = names.Fresh(w + "_dequantized");
    g.initializers[scale] = per_axis ? Tensor::FromVector<float>({count}, qw.scales) : Tensor::Scalar<float>(qw.scales[0]);
    g.initializers[zp] = ZeroPoint(qw.quantized.dtype(), count, 0, !per_axis);
    std::string source;
    if (weights == WeightsForm::kDq) {
      source = names.Fresh(w + "_quantized");
      g.initializers[source] = qw.quantized;
    } else {
      source = names.Fresh(w + "_quantized");
      pending[w].push_back(QdqNode(names.Fresh(w + "_QuantizeLinear"), "QuantizeLinear", {w, scale, zp}, source, qw.axis));
    }
    pending[w].push_back(QdqNode(names.Fresh(w + "_DequantizeLinear"), "DequantizeLinear", {source, scale, zp}, deq, qw.axis));
    replacement[w] = deq;
    return Status::Ok();
  };

  std::vector<ir::Node> out;
  out.reserve(g.nodes.size() + 4 * plan.nodes.size());
  std::set<std::string> emitted;
  for (ir::Node& n : g.nodes) {
    auto p = plan_of.find(n.name);
    if (p != plan_of.end() && n.domain.empty() && n.op_type == p->second->op_type) {
      for (int i : p->second->activation_inputs) SAMQ_RETURN_IF_ERROR(make_activation(n.inputs[i]));
      for (const auto& wi : p->second->weights) SAMQ_RETURN_IF_ERROR(make_weight(n.inputs[wi.input]));
      std::vector<int> inputs = p->second->activation_inputs;
      for (const auto& wi : p->second->weights) inputs.push_back(wi.input);
      for (int i : inputs) {
        const std::string v = n.inputs[i];
        if (emitted.insert(v).second)
          for (auto& qn : pending[v]) out.push_back(std::move(qn));
        n.inputs[i] = replacement.at(v);
      }
    }
    out.push_back(std::move(n));
  }
  g.nodes = std::move(out);

  // dq: weights now only read through their int8 copy are dropped from the file.
  if (weights == WeightsForm::kDq) {
    std::set<std::string> read;
    for (const auto& n : g.nodes)
      for (const auto& v : n.inputs) read.insert(v);
    for (const auto& o : g.outputs) read.insert(o.name);
    for (const auto& [w, qw] : q.weights)
      if (!read.count(w)) g.initializers.erase(w);
  }

  const int64_t need = mode == QuantMode::kFp8 ? 19 : 13;
  bool found = false;
  for (auto& o : model.opsets)
    if (o.domain.empty() || o.domain == "ai.onnx") {
      found = true;
      o.version = std::max(o.version, need);
    }
  if (!found) model.opsets.push_back({"", need});
  return Status::Ok();
}

}  // namespace samq::quant
