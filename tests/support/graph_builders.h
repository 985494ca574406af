// Pieces for tests that build ONNX graphs by hand: a node, a float32 value with static dims, and
// seeded normal random data.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace samq::testing {

// A default-domain node named after its (single) output.
inline ir::Node GraphNode(const std::string& op, std::vector<std::string> inputs, const std::string& output,
                          std::vector<ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = output + "_node";
  n.op_type = op;
  n.inputs = std::move(inputs);
  n.outputs = {output};
  n.attributes = std::move(attrs);
  return n;
}

// The same in samq's own domain (com.samq: the fused ops the passes make).
inline ir::Node SamqNode(const std::string& op, std::vector<std::string> inputs, const std::string& output) {
  ir::Node n = GraphNode(op, std::move(inputs), output);
  n.domain = "com.samq";
  return n;
}

// A float32 graph input/output; a dim < 0 is dynamic (named `param` when given).
inline ir::ValueInfo FloatValue(const std::string& name, const std::vector<int64_t>& dims,
                                const std::string& param = "") {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat32;
  v.has_shape = true;
  for (int64_t d : dims) v.dims.push_back({d, d < 0 ? param : ""});
  return v;
}

// A float32 graph output whose shape the session infers.
inline ir::ValueInfo FloatValueAnyShape(const std::string& name) {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat32;
  return v;
}

// float32 N(0, scale^2) values from a seeded generator.
inline Tensor RandomNormal(const Shape& s, uint32_t seed, float scale = 1.0f) {
  Tensor t = Tensor::Zeros(DType::kFloat32, s);
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

}  // namespace samq::testing
