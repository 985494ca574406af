// Helpers for the elementwise / reduction / quantization op tests: build one node, run it with
// rt::EvaluateNode on the default registry, and compare values.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/float_convert.h"
#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/evaluate_node.h"

namespace samq::testing::elem {

inline ir::Attribute AttrI(const std::string& name, int64_t v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kInt;
  a.i = v;
  return a;
}
inline ir::Attribute AttrF(const std::string& name, float v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kFloat;
  a.f = v;
  return a;
}
inline ir::Attribute AttrS(const std::string& name, const std::string& v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kString;
  a.s = v;
  return a;
}
inline ir::Attribute AttrInts(const std::string& name, std::vector<int64_t> v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kInts;
  a.ints = std::move(v);
  return a;
}

// A node named "n" with inputs "i0".. (an absent optional input is given as nullptr when run)
// and `num_outputs` outputs "o0"..
inline ir::Node MakeNode(const std::string& op, int num_inputs, std::vector<ir::Attribute> attrs = {},
                         int num_outputs = 1) {
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  for (int i = 0; i < num_inputs; ++i) n.inputs.push_back("i" + std::to_string(i));
  for (int i = 0; i < num_outputs; ++i) n.outputs.push_back("o" + std::to_string(i));
  n.attributes = std::move(attrs);
  return n;
}

// Runs the node; null inputs become omitted optional inputs (empty names).
inline Result<std::vector<Tensor>> RunNode(ir::Node node, const std::vector<const Tensor*>& inputs,
                                       int64_t opset = 17) {
  for (size_t i = 0; i < inputs.size() && i < node.inputs.size(); ++i)
    if (!inputs[i]) node.inputs[i].clear();
  return rt::EvaluateNode(backends::DefaultRegistry(), node, opset, inputs);
}

// Runs a single-output node and returns the output; fails the test on error.
inline Tensor Run1(const std::string& op, const std::vector<const Tensor*>& inputs,
                   std::vector<ir::Attribute> attrs = {}, int64_t opset = 17) {
  auto r = RunNode(MakeNode(op, static_cast<int>(inputs.size()), std::move(attrs)), inputs, opset);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return Tensor();
  return r.value()[0];
}

// The error message of a run expected to fail with a user error ("" if it succeeded).
inline std::string RunError(const std::string& op, const std::vector<const Tensor*>& inputs,
                            std::vector<ir::Attribute> attrs = {}, int64_t opset = 17) {
  auto r = RunNode(MakeNode(op, static_cast<int>(inputs.size()), std::move(attrs)), inputs, opset);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser) << r.status().message();
  return r.status().message();
}

template <typename T>
Tensor T1(Shape s, std::vector<T> v) {
  EXPECT_EQ(static_cast<int64_t>(v.size()), shape_numel(s));
  return Tensor::FromVector<T>(std::move(s), v);
}
inline Tensor F(Shape s, std::vector<float> v) { return T1<float>(std::move(s), std::move(v)); }
inline Tensor I64(Shape s, std::vector<int64_t> v) { return T1<int64_t>(std::move(s), std::move(v)); }
inline Tensor I32(Shape s, std::vector<int32_t> v) { return T1<int32_t>(std::move(s), std::move(v)); }
inline Tensor B(Shape s, std::vector<uint8_t> v) {
  Tensor t = Tensor::Zeros(DType::kBool, s);
  for (size_t i = 0; i < v.size(); ++i) t.data<uint8_t>()[i] = v[i];
  return t;
}
// A tensor of any dtype from double values (rounded / clamped by element_from_double).
inline Tensor FromDoubles(DType t, Shape s, const std::vector<double>& v) {
  Tensor out = Tensor::Zeros(t, std::move(s));
  for (size_t i = 0; i < v.size(); ++i) element_from_double(t, out.raw(), static_cast<int64_t>(i), v[i]);
  return out;
}

// Expects dtype, shape and values (NaN matches NaN; `tol` absolute + relative).
inline void ExpectTensor(const Tensor& got, DType dtype, const Shape& shape,
                         const std::vector<double>& want, double tol = 0) {
  ASSERT_EQ(got.dtype(), dtype) << dtype_name(got.dtype());
  ASSERT_EQ(got.shape(), shape) << shape_str(got.shape());
  std::vector<double> v = got.AsDoubleVector();
  ASSERT_EQ(v.size(), want.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(v[i])) << "element " << i << ": got " << v[i] << ", want NaN";
    } else if (std::isinf(want[i])) {
      EXPECT_EQ(v[i], want[i]) << "element " << i;
    } else {
      EXPECT_NEAR(v[i], want[i], tol * (1 + std::fabs(want[i]))) << "element " << i;
    }
  }
}

inline void ExpectInt64(const Tensor& got, DType dtype, const Shape& shape, const std::vector<int64_t>& want) {
  ASSERT_EQ(got.dtype(), dtype) << dtype_name(got.dtype());
  ASSERT_EQ(got.shape(), shape) << shape_str(got.shape());
  EXPECT_EQ(got.AsInt64Vector(), want);
}

}  // namespace samq::testing::elem
