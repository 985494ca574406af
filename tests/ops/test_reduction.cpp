// Reduce*, ArgMax/ArgMin, Softmax/LogSoftmax/Hardmax and LayerNormalization on hand-derived
// values.
#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

const double kInf = std::numeric_limits<double>::infinity();

// x = [[[0,1,2,3],[4,5,6,7],[8,9,10,11]], [[12..15],[16..19],[20..23]]], shape [2,3,4].
Tensor Iota234() {
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = static_cast<float>(i);
  return F({2, 3, 4}, v);
}

TEST(ReduceOps, AxesAsAttributeAndAsInput) {
  Tensor x = Iota234();
  // Mean over the last axis: row means 1.5, 5.5, 9.5, 13.5, 17.5, 21.5.
  ExpectTensor(Run1("ReduceMean", {&x}, {AttrInts("axes", {-1})}, 13), DType::kFloat32, {2, 3, 1},
               {1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  Tensor axes = I64({1}, {-1});
  ExpectTensor(Run1("ReduceMean", {&x, &axes}, {AttrI("keepdims", 0)}, 18), DType::kFloat32, {2, 3},
               {1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  // ReduceSum took axes as an input from opset 13: sum over axis 0 = x[0] + x[1] = 12 + 2i.
  Tensor a0 = I64({1}, {0});
  std::vector<double> want;
  for (int i = 0; i < 12; ++i) want.push_back(12 + 2 * i);
  ExpectTensor(Run1("ReduceSum", {&x, &a0}, {AttrI("keepdims", 0)}, 13), DType::kFloat32, {3, 4}, want);
}

TEST(ReduceOps, NonAdjacentAxesAndAll) {
  Tensor x = Iota234();
  // Axes {0, 2}: x[i][j][k] = 12i + 4j + k; summing over i in {0,1} and k in {0..3} gives
  // 12*4 (the i terms) + 8*4j + 2*6 (the k terms) = 60 + 32j.
  ExpectTensor(Run1("ReduceSum", {&x}, {AttrInts("axes", {0, 2}), AttrI("keepdims", 0)}, 11),
               DType::kFloat32, {3}, {60, 92, 124});
  // No axes: everything; sum 0..23 = 276, keepdims -> [1,1,1].
  ExpectTensor(Run1("ReduceSum", {&x}, {}, 11), DType::kFloat32, {1, 1, 1}, {276});
  ExpectTensor(Run1("ReduceMax", {&x}, {AttrI("keepdims", 0)}, 18), DType::kFloat32, {}, {23});
  // Empty axes input with noop_with_empty_axes=1: identity.
  Tensor none = I64({0}, {});
  Tensor y = Run1("ReduceMean", {&x, &none}, {AttrI("noop_with_empty_axes", 1)}, 18);
  EXPECT_EQ(y.shape(), x.shape());
}

TEST(ReduceOps, EveryKind) {
  Tensor x = F({2, 2}, {3, -4, 1, 2});
  auto row = [&](const char* op) { return Run1(op, {&x}, {AttrInts("axes", {1}), AttrI("keepdims", 0)}, 13); };
  ExpectTensor(row("ReduceMax"), DType::kFloat32, {2}, {3, 2});
  ExpectTensor(row("ReduceMin"), DType::kFloat32, {2}, {-4, 1});
  ExpectTensor(row("ReduceProd"), DType::kFloat32, {2}, {-12, 2});
  ExpectTensor(row("ReduceL1"), DType::kFloat32, {2}, {7, 3});
  ExpectTensor(row("ReduceL2"), DType::kFloat32, {2}, {5, std::sqrt(5.0)}, 1e-7);  // 3-4-5
  ExpectTensor(row("ReduceSumSquare"), DType::kFloat32, {2}, {25, 5});
  ExpectTensor(row("ReduceLogSum"), DType::kFloat32, {2}, {std::log(-1.0), std::log(3.0)}, 1e-7);
  // log(e^1000 + e^1000) = 1000 + log 2 without overflow; log(e^0 + e^0) = log 2.
  Tensor big = F({2, 2}, {1000, 1000, 0, 0});
  ExpectTensor(Run1("ReduceLogSumExp", {&big}, {AttrInts("axes", {1}), AttrI("keepdims", 0)}, 13),
               DType::kFloat32, {2}, {1000 + std::log(2.0), std::log(2.0)}, 1e-7);
}

TEST(ReduceOps, IntegersAndEmptyInputs) {
  Tensor i = I64({2, 3}, {1, 7, -3, 4, 4, 5});
  ExpectInt64(Run1("ReduceMax", {&i}, {AttrInts("axes", {1}), AttrI("keepdims", 0)}, 13), DType::kInt64, {2}, {7, 5});
  ExpectInt64(Run1("ReduceSum", {&i}, {AttrI("keepdims", 0)}, 11), DType::kInt64, {}, {18});
  // Integer mean truncates: (1+7-3)/3 = 5/3 -> 1; 13/3 -> 4.
  ExpectInt64(Run1("ReduceMean", {&i}, {AttrInts("axes", {1}), AttrI("keepdims", 0)}, 13), DType::kInt64, {2}, {1, 4});
  // Reducing a 0-sized axis: the identity of each reduction.
  Tensor e = F({2, 0}, {});
  auto red = [&](const char* op) { return Run1(op, {&e}, {AttrInts("axes", {1}), AttrI("keepdims", 0)}, 13); };
  ExpectTensor(red("ReduceSum"), DType::kFloat32, {2}, {0, 0});
  ExpectTensor(red("ReduceProd"), DType::kFloat32, {2}, {1, 1});
  ExpectTensor(red("ReduceMax"), DType::kFloat32, {2}, {-kInf, -kInf});
  ExpectTensor(red("ReduceMin"), DType::kFloat32, {2}, {kInf, kInf});
  // Reducing the other axis of an empty tensor gives an empty output.
  EXPECT_EQ(Run1("ReduceSum", {&e}, {AttrInts("axes", {0})}, 13).shape(), (Shape{1, 0}));
}

TEST(ReduceOps, BadAxesAreUserErrors) {
  Tensor x = Iota234();
  EXPECT_NE(RunError("ReduceMean", {&x}, {AttrInts("axes", {3})}, 13).find("out of range"), std::string::npos);
  EXPECT_NE(RunError("ReduceMean", {&x}, {AttrInts("axes", {1, -2})}, 13).find("twice"), std::string::npos);
}

TEST(ArgOps, AxisKeepdimsAndLastIndex) {
  Tensor x = F({2, 3}, {1, 5, 5, 7, 0, 7});
  ExpectInt64(Run1("ArgMax", {&x}, {AttrI("axis", 1)}), DType::kInt64, {2, 1}, {1, 0});
  ExpectInt64(Run1("ArgMax", {&x}, {AttrI("axis", -1), AttrI("select_last_index", 1), AttrI("keepdims", 0)}),
              DType::kInt64, {2}, {2, 2});
  ExpectInt64(Run1("ArgMin", {&x}, {AttrI("axis", 0), AttrI("keepdims", 0)}), DType::kInt64, {3}, {0, 1, 0});
  Tensor e = F({0, 3}, {});
  EXPECT_NE(RunError("ArgMax", {&e}, {AttrI("axis", 0)}).find("size 0"), std::string::npos);
}

TEST(SoftmaxOps, AxisSemanticsByOpset) {
  // softmax([0, ln 2]) = [1/3, 2/3]; log_softmax = [ln(1/3), ln(2/3)].
  const float l2 = std::log(2.0f);
  Tensor x = F({2, 2}, {0, l2, l2, 0});
  ExpectTensor(Run1("Softmax", {&x}), DType::kFloat32, {2, 2}, {1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 3}, 1e-6);
  ExpectTensor(Run1("LogSoftmax", {&x}), DType::kFloat32, {2, 2},
               {std::log(1.0 / 3), std::log(2.0 / 3), std::log(2.0 / 3), std::log(1.0 / 3)}, 1e-6);
  // Opset 13, axis 0: columns [0, ln2] and [ln2, 0] -> [1/3, 2/3; 2/3, 1/3].
  ExpectTensor(Run1("Softmax", {&x}, {AttrI("axis", 0)}), DType::kFloat32, {2, 2},
               {1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 3}, 1e-6);
  // Opset 11, axis 0: the whole tensor is one row: e^0 + e^l2 + e^l2 + e^0 = 6 -> [1/6, 2/6, ...].
  ExpectTensor(Run1("Softmax", {&x}, {AttrI("axis", 0)}, 11), DType::kFloat32, {2, 2},
               {1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6}, 1e-6);
  // Opset 11 default axis 1 on [1,2,2]: rows of 4 -> same as above.
  Tensor x3 = F({1, 2, 2}, {0, l2, l2, 0});
  ExpectTensor(Run1("Softmax", {&x3}, {}, 11), DType::kFloat32, {1, 2, 2}, {1.0 / 6, 2.0 / 6, 2.0 / 6, 1.0 / 6}, 1e-6);
  // Large values do not overflow: softmax([1000, 1000]) = [1/2, 1/2].
  Tensor big = F({2}, {1000, 1000});
  ExpectTensor(Run1("Softmax", {&big}), DType::kFloat32, {2}, {0.5, 0.5});
  // Middle axis with inner > 1 (opset 13): [1,2,2] over axis 1 pairs (0, ln2) and (ln2, 0).
  ExpectTensor(Run1("Softmax", {&x3}, {AttrI("axis", 1)}), DType::kFloat32, {1, 2, 2},
               {1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0 / 3}, 1e-6);
  ExpectTensor(Run1("Hardmax", {&x}), DType::kFloat32, {2, 2}, {0, 1, 1, 0});
  Tensor e = F({0, 4}, {});
  EXPECT_EQ(Run1("Softmax", {&e}).shape(), (Shape{0, 4}));
  EXPECT_NE(RunError("Softmax", {&x}, {AttrI("axis", 2)}).find("out of range"), std::string::npos);
}

TEST(LayerNormOp, StatisticsScaleBiasAndAxis) {
  // Row [1,2,3,4]: mean 2.5, var (2.25+0.25+0.25+2.25)/4 = 1.25, inv std 1/sqrt(1.25) =
  // 0.894427191; normalized [-1.3416408, -0.4472136, 0.4472136, 1.3416408]. Row [2,2,2,2]:
  // var 0 -> inv std 1/sqrt(eps) with eps = 1e-5 (float) and normalized zeros.
  Tensor x = F({2, 4}, {1, 2, 3, 4, 2, 2, 2, 2});
  Tensor scale = F({4}, {1, 1, 2, 2}), bias = F({4}, {0, 0, 0, 1});
  auto r = RunNode(MakeNode("LayerNormalization", 3, {}, 3), {&x, &scale, &bias});
  ASSERT_TRUE(r.ok()) << r.status().message();
  const double eps = static_cast<double>(1e-5f);
  const double n1 = 1 / std::sqrt(1.25 + eps);
  ExpectTensor(r.value()[0], DType::kFloat32, {2, 4},
               {-1.5 * n1, -0.5 * n1, 2 * 0.5 * n1, 2 * 1.5 * n1 + 1, 0, 0, 0, 1}, 1e-6);
  ExpectTensor(r.value()[1], DType::kFloat32, {2, 1}, {2.5, 2});
  ExpectTensor(r.value()[2], DType::kFloat32, {2, 1}, {n1, 1 / std::sqrt(eps)}, 1e-6);
  const double n0 = 1 / std::sqrt(1.25);  // epsilon 0 below
  // axis=1 on [1,2,2]: the same row [1,2,3,4] laid out as 2x2, scale of shape [2,2], no bias.
  Tensor x3 = F({1, 2, 2}, {1, 2, 3, 4}), s3 = F({2, 2}, {1, 1, 1, 1});
  ExpectTensor(Run1("LayerNormalization", {&x3, &s3}, {AttrI("axis", -2), AttrF("epsilon", 0)}),
               DType::kFloat32, {1, 2, 2}, {-1.5 * n0, -0.5 * n0, 0.5 * n0, 1.5 * n0}, 1e-6);
  Tensor bad = F({3}, {1, 1, 1});
  EXPECT_NE(RunError("LayerNormalization", {&x, &bad}).find("does not broadcast"), std::string::npos);
}

}  // namespace
}  // namespace samq::testing::elem
