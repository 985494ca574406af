// The IR: a model is a graph of nodes connected by named values, as in ONNX.
//
// Values are referred to by name (the ONNX way); an empty input name means an omitted optional
// input. Initializers are constant tensors. The runtime resolves names to slots once, at compile
// time, so names cost nothing per run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/attribute.h"

namespace samq::ir {

// A dimension: a known size (value >= 0), or unknown (value = -1) with an optional symbolic name.
struct Dim {
  int64_t value = -1;
  std::string param;
  bool known() const { return value >= 0; }
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  bool has_shape = false;  // false: rank unknown
  std::vector<Dim> dims;
  std::string doc;
  std::string shape_str() const;  // "1x3xNx?" style
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" = default ONNX domain
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;  // kept in file order for deterministic export
  std::string doc;

  const Attribute* attr(std::string_view name) const;
  int64_t attr_int(std::string_view name, int64_t fallback) const;
  float attr_float(std::string_view name, float fallback) const;
  std::string attr_string(std::string_view name, std::string fallback) const;
  std::vector<int64_t> attr_ints(std::string_view name) const;  // empty if absent
  std::vector<float> attr_floats(std::string_view name) const;
  void set_attr(Attribute a);  // replaces an attribute of the same name
  int num_inputs() const { return static_cast<int>(inputs.size()); }
  bool has_input(int i) const { return i < num_inputs() && !inputs[i].empty(); }
  // "node '/blocks.0/attn/Pad' (Pad)", the way every message names a node.
  std::string describe() const;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;  // in topological order once verified
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::map<std::string, Tensor> initializers;
  std::vector<ValueInfo> value_info;  // intermediate annotations from the file
  std::string doc;

  bool is_initializer(const std::string& name) const { return initializers.count(name) != 0; }
  // Graph inputs that are not also initializers (what a caller must feed).
  std::vector<const ValueInfo*> runtime_inputs() const;
};

struct OpsetId {
  std::string domain;
  int64_t version = 0;
};

struct Model {
  int64_t ir_version = 8;
  std::vector<OpsetId> opsets;
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  std::string doc;
  std::vector<std::pair<std::string, std::string>> metadata;
  Graph graph;

  // Opset of the default ONNX domain ("" or "ai.onnx"); 0 if none is declared.
  int64_t default_opset() const;
};

}  // namespace samq::ir
