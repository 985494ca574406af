// A small float model with every case the quantizer distinguishes (header-only, for the quant
// and errors suites):
//   x[1,3,8,8] -Conv "conv0" (W[4,3,3,3], B, pads 1)-> c -Relu-> r -Reshape "flat"-> f[1,4,64]
//   f -MatMul "fc" (W[64,16])-> m ; f -MatMul "fc_skip" (W[64,8])-> z   (f feeds two quantized nodes)
//   m -Transpose "mt"-> mt ; MatMul "attn" (m, mt) -> y                  (both inputs activations)
//   m -Gemm "head" (A = m reshaped [4,16], B[8,16], transB=1)-> g
// Outputs y, z, g. Weights are deterministic pseudo-random values in [-1, 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace samq::testing {

inline ir::ValueInfo QuantTinyFloat(const std::string& name, std::vector<int64_t> dims) {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat32;
  v.has_shape = true;
  for (int64_t d : dims) v.dims.push_back({d, ""});
  return v;
}

inline Tensor QuantTinyWeights(Shape shape, uint32_t seed) {
  Tensor t = Tensor::Zeros(DType::kFloat32, shape);
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.f;
  }
  return t;
}

inline ir::Model QuantTinyModel() {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.producer_name = "samq-tests";
  m.graph.name = "quant_tiny";
  m.graph.inputs = {QuantTinyFloat("x", {1, 3, 8, 8})};
  m.graph.outputs = {QuantTinyFloat("y", {1, 4, 4}), QuantTinyFloat("z", {1, 4, 8}), QuantTinyFloat("g", {4, 8})};
  auto& init = m.graph.initializers;
  init["conv0.W"] = QuantTinyWeights({4, 3, 3, 3}, 1);
  init["conv0.B"] = QuantTinyWeights({4}, 2);
  init["fc.W"] = QuantTinyWeights({64, 16}, 3);
  init["fc_skip.W"] = QuantTinyWeights({64, 8}, 4);
  init["head.W"] = QuantTinyWeights({8, 16}, 5);
  init["flat.shape"] = Tensor::FromVector<int64_t>({3}, {1, 4, 64});
  init["head.shape"] = Tensor::FromVector<int64_t>({2}, {4, 16});
  auto ints = [](const char* name, std::vector<int64_t> v) {
    ir::Attribute a;
    a.name = name;
    a.type = ir::AttrType::kInts;
    a.ints = std::move(v);
    return a;
  };
  ir::Attribute transB;
  transB.name = "transB";
  transB.type = ir::AttrType::kInt;
  transB.i = 1;
  m.graph.nodes = {
      {"conv0", "Conv", "", {"x", "conv0.W", "conv0.B"}, {"c"}, {ints("pads", {1, 1, 1, 1})}, ""},
      {"relu0", "Relu", "", {"c"}, {"r"}, {}, ""},
      {"flat", "Reshape", "", {"r", "flat.shape"}, {"f"}, {}, ""},
      {"fc", "MatMul", "", {"f", "fc.W"}, {"m"}, {}, ""},
      {"fc_skip", "MatMul", "", {"f", "fc_skip.W"}, {"z"}, {}, ""},
      {"mt", "Transpose", "", {"m"}, {"mt_out"}, {ints("perm", {0, 2, 1})}, ""},
      {"attn", "MatMul", "", {"m", "mt_out"}, {"y"}, {}, ""},
      {"head_in", "Reshape", "", {"m", "head.shape"}, {"m2"}, {}, ""},
      {"head", "Gemm", "", {"m2", "head.W"}, {"g"}, {transB}, ""},
  };
  return m;
}

}  // namespace samq::testing
