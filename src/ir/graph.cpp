#include "ir/graph.h"

namespace samq::ir {

std::string_view attr_type_name(AttrType t) {
  switch (t) {
    case AttrType::kFloat: return "float";
    case AttrType::kInt: return "int";
    case AttrType::kString: return "string";
    case AttrType::kTensor: return "tensor";
    case AttrType::kFloats: return "floats";
    case AttrType::kInts: return "ints";
    case AttrType::kStrings: return "strings";
    case AttrType::kGraph: return "graph";
    case AttrType::kUndefined: break;
  }
  return "undefined";
}

std::string ValueInfo::shape_str() const {
  if (!has_shape) return "?";
  if (dims.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += 'x';
    out += dims[i].known() ? std::to_string(dims[i].value) : (dims[i].param.empty() ? "?" : dims[i].param);
  }
  return out;
}

const Attribute* Node::attr(std::string_view n) const {
  for (const auto& a : attributes)
    if (a.name == n) return &a;
  return nullptr;
}

int64_t Node::attr_int(std::string_view n, int64_t fallback) const {
  const Attribute* a = attr(n);
  return a && a->type == AttrType::kInt ? a->i : fallback;
}

float Node::attr_float(std::string_view n, float fallback) const {
  const Attribute* a = attr(n);
  if (!a) return fallback;
  if (a->type == AttrType::kFloat) return a->f;
  if (a->type == AttrType::kInt) return static_cast<float>(a->i);
  return fallback;
}

std::string Node::attr_string(std::string_view n, std::string fallback) const {
  const Attribute* a = attr(n);
  return a && a->type == AttrType::kString ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(std::string_view n) const {
  const Attribute* a = attr(n);
  return a && a->type == AttrType::kInts ? a->ints : std::vector<int64_t>{};
}

std::vector<float> Node::attr_floats(std::string_view n) const {
  const Attribute* a = attr(n);
  return a && a->type == AttrType::kFloats ? a->floats : std::vector<float>{};
}

void Node::set_attr(Attribute a) {
  for (auto& existing : attributes) {
    if (existing.name == a.name) {
      existing = std::move(a);
      return;
    }
  }
  attributes.push_back(std::move(a));
}

std::string Node::describe() const {
  return "node '" + name + "' (" + (domain.empty() ? "" : domain + ".") + op_type + ")";
}

std::vector<const ValueInfo*> Graph::runtime_inputs() const {
  std::vector<const ValueInfo*> out;
  for (const auto& v : inputs)
    if (!is_initializer(v.name)) out.push_back(&v);
  return out;
}

int64_t Model::default_opset() const {
  for (const auto& o : opsets)
    if (o.domain.empty() || o.domain == "ai.onnx") return o.version;
  return 0;
}

}  // namespace samq::ir
