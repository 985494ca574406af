// Binary elementwise ops: broadcasting over many shape pairs (checked against a naive
// index-by-index broadcast written here), integer semantics, comparisons, logic, errors.
#include <limits>
#include <random>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

// Naive NumPy broadcasting: output index -> each input's index by taking the output coordinate
// modulo the (right-aligned) input dim. Independent of the kernels' merged-dims walk.
Shape BroadcastNaive(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    int64_t db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    out[i] = da == 1 ? db : da;
  }
  return out;
}
int64_t SourceIndex(const Shape& out, int64_t flat, const Shape& in) {
  std::vector<int64_t> coord(out.size());
  for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
    coord[d] = flat % out[d];
    flat /= out[d];
  }
  int64_t idx = 0;
  const size_t lead = out.size() - in.size();
  for (size_t j = 0; j < in.size(); ++j) idx = idx * in[j] + (in[j] == 1 ? 0 : coord[lead + j]);
  return idx;
}

Tensor Iota(Shape s, float start, float step) {
  std::vector<float> v(shape_numel(s));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
  return F(std::move(s), v);
}

TEST(BinaryOps, BroadcastShapePairsMatchNaiveBroadcast) {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{2, 3}, {2, 3}},       {{2, 3}, {}},          {{}, {2, 3}},          {{2, 3}, {3}},
      {{2, 3}, {2, 1}},       {{2, 1}, {1, 3}},      {{1, 3}, {2, 1}},      {{4, 1, 5}, {3, 1}},
      {{2, 3, 4}, {3, 1}},    {{2, 3, 4}, {2, 1, 4}}, {{1, 1, 4}, {2, 3, 1}}, {{2, 1, 3, 1}, {1, 4, 1, 5}},
      {{5}, {1}},             {{1}, {5}},            {{0, 3}, {3}},         {{2, 0}, {1}},
      {{1, 1}, {1}},          {{3, 1, 1, 2}, {2}},   {{2, 3, 1, 4}, {1, 3, 5, 1}},
  };
  for (const auto& [sa, sb] : pairs) {
    Tensor a = Iota(sa, 1, 1), b = Iota(sb, 0.5f, 0.25f);
    const Shape so = BroadcastNaive(sa, sb);
    for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
      Tensor y = Run1(op, {&a, &b});
      ASSERT_EQ(y.shape(), so) << op << " " << shape_str(sa) << " vs " << shape_str(sb);
      for (int64_t i = 0; i < shape_numel(so); ++i) {
        float x = a.data<float>()[SourceIndex(so, i, sa)], z = b.data<float>()[SourceIndex(so, i, sb)];
        float want = op[0] == 'A' ? x + z : op[0] == 'S' ? x - z : op[0] == 'M' ? x * z : x / z;
        ASSERT_EQ(y.data<float>()[i], want) << op << " " << shape_str(sa) << " vs " << shape_str(sb) << " at " << i;
      }
    }
  }
}

TEST(BinaryOps, LargeTensorsTakeTheParallelPathsCorrectly) {
  // Same shape, scalar operand, bias over the last dim, and a middle-dim broadcast, with sizes
  // large enough to split across threads (and runs that straddle chunk boundaries).
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-2, 2);
  auto rnd = [&](Shape s) {
    std::vector<float> v(shape_numel(s));
    for (auto& x : v) x = u(rng);
    return F(std::move(s), v);
  };
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{3, 50001}, {3, 50001}}, {{150001}, {}}, {{64, 1031}, {1031}}, {{7, 1, 9001}, {7, 13, 1}}};
  for (const auto& [sa, sb] : pairs) {
    Tensor a = rnd(sa), b = rnd(sb);
    Tensor y = Run1("Mul", {&a, &b});
    const Shape so = BroadcastNaive(sa, sb);
    ASSERT_EQ(y.shape(), so);
    for (int64_t i = 0; i < shape_numel(so); ++i)
      ASSERT_EQ(y.data<float>()[i], a.data<float>()[SourceIndex(so, i, sa)] * b.data<float>()[SourceIndex(so, i, sb)])
          << shape_str(sa) << " vs " << shape_str(sb) << " at " << i;
  }
}

TEST(BinaryOps, Int64ShapeMath) {
  // C-style truncating division: 7/2=3, -7/2=-3, 7/-2=-3, -7/-2=3.
  Tensor a = I64({4}, {7, -7, 7, -7}), b = I64({4}, {2, 2, -2, -2});
  ExpectInt64(Run1("Div", {&a, &b}), DType::kInt64, {4}, {3, -3, -3, 3});
  ExpectInt64(Run1("Add", {&a, &b}), DType::kInt64, {4}, {9, -5, 5, -9});
  ExpectInt64(Run1("Sub", {&a, &b}), DType::kInt64, {4}, {5, -9, 9, -5});
  ExpectInt64(Run1("Mul", {&a, &b}), DType::kInt64, {4}, {14, -14, -14, 14});
  // Mod fmod=0 takes the divisor's sign (Python): 7%3=1, -7%3=2, 7%-3=-2, -7%-3=-1.
  Tensor c = I64({4}, {3, 3, -3, -3});
  ExpectInt64(Run1("Mod", {&a, &c}), DType::kInt64, {4}, {1, 2, -2, -1});
  // fmod=1 takes the dividend's sign (C): 1, -1, 1, -1.
  ExpectInt64(Run1("Mod", {&a, &c}, {AttrI("fmod", 1)}), DType::kInt64, {4}, {1, -1, 1, -1});
  // Broadcast against a scalar, as shape arithmetic does: [64, 32] / 2.
  Tensor shape = I64({2}, {64, 32}), two = Tensor::Scalar<int64_t>(2);
  ExpectInt64(Run1("Div", {&shape, &two}), DType::kInt64, {2}, {32, 16});
  // INT64_MIN / -1 wraps instead of trapping.
  const int64_t mn = std::numeric_limits<int64_t>::min();
  Tensor m = I64({1}, {mn}), neg1 = I64({1}, {-1});
  ExpectInt64(Run1("Div", {&m, &neg1}), DType::kInt64, {1}, {mn});
  ExpectInt64(Run1("Mod", {&m, &neg1}), DType::kInt64, {1}, {0});
}

TEST(BinaryOps, Int32WrapsAndDivisionByZeroIsAnError) {
  Tensor a = I32({1}, {std::numeric_limits<int32_t>::max()}), one = I32({1}, {1});
  ExpectInt64(Run1("Add", {&a, &one}), DType::kInt32, {1}, {std::numeric_limits<int32_t>::min()});
  Tensor zero = I32({2}, {1, 0});
  EXPECT_NE(RunError("Div", {&a, &zero}).find("division by zero"), std::string::npos);
  EXPECT_NE(RunError("Mod", {&a, &zero}).find("division by zero"), std::string::npos);
}

TEST(BinaryOps, FloatModBothModes) {
  // fmod=1 is C fmod: fmod(5.5, 2) = 1.5, fmod(-5.5, 2) = -1.5.
  Tensor a = F({2}, {5.5f, -5.5f}), b = F({1}, {2});
  ExpectTensor(Run1("Mod", {&a, &b}, {AttrI("fmod", 1)}), DType::kFloat32, {2}, {1.5, -1.5});
  // fmod=0 on floats (defined from opset 22) is numpy.mod: the sign follows the divisor,
  // numpy.mod(-5.5, 2) = 0.5, numpy.mod(5.5, -2) = -0.5.
  ExpectTensor(Run1("Mod", {&a, &b}), DType::kFloat32, {2}, {1.5, 0.5});
  Tensor d = F({1}, {-2});
  ExpectTensor(Run1("Mod", {&a, &d}), DType::kFloat32, {2}, {-0.5, -1.5});
}

TEST(BinaryOps, Pow) {
  Tensor a = F({3}, {2, 3, -2}), two = F({}, {2});
  ExpectTensor(Run1("Pow", {&a, &two}), DType::kFloat32, {3}, {4, 9, 4});
  // Float base, int64 exponent; 4^0.5 = 2, 2^-1 = 0.5.
  Tensor e = I64({3}, {3, 0, -1});
  ExpectTensor(Run1("Pow", {&a, &e}), DType::kFloat32, {3}, {8, 1, -0.5});
  Tensor f = F({2}, {4, 2}), h = F({2}, {0.5f, -1});
  ExpectTensor(Run1("Pow", {&f, &h}), DType::kFloat32, {2}, {2, 0.5});
  // int64 base: exact repeated multiplication; 3^39 = 4052555153018976267 (double would give
  // ...256); a negative exponent truncates 1/b^k to 0 except for base +-1.
  Tensor b = I64({4}, {3, 2, 1, -1}), k = I64({4}, {39, -1, -5, -3});
  ExpectInt64(Run1("Pow", {&b, &k}), DType::kInt64, {4}, {4052555153018976267LL, 0, 1, -1});
  // int32 base, float exponent: pow(9, 0.5) = 3 (computed in double, truncated).
  Tensor ib = I32({1}, {9}), fe = F({1}, {0.5f});
  ExpectInt64(Run1("Pow", {&ib, &fe}), DType::kInt32, {1}, {3});
}

TEST(BinaryOps, ComparisonsGiveBool) {
  Tensor a = F({2, 2}, {1, 2, 3, std::numeric_limits<float>::quiet_NaN()}), b = F({2}, {2, 2});
  ExpectTensor(Run1("Equal", {&a, &b}), DType::kBool, {2, 2}, {0, 1, 0, 0});  // NaN == x is false
  ExpectTensor(Run1("Less", {&a, &b}), DType::kBool, {2, 2}, {1, 0, 0, 0});
  ExpectTensor(Run1("LessOrEqual", {&a, &b}), DType::kBool, {2, 2}, {1, 1, 0, 0});
  ExpectTensor(Run1("Greater", {&a, &b}), DType::kBool, {2, 2}, {0, 0, 1, 0});
  ExpectTensor(Run1("GreaterOrEqual", {&a, &b}), DType::kBool, {2, 2}, {0, 1, 1, 0});
  Tensor i = I64({3}, {-1, 0, 5}), j = Tensor::Scalar<int64_t>(0);
  ExpectTensor(Run1("Equal", {&i, &j}), DType::kBool, {3}, {0, 1, 0});
  Tensor p = B({2}, {1, 0}), q = B({1}, {1});
  ExpectTensor(Run1("Equal", {&p, &q}), DType::kBool, {2}, {1, 0});
}

TEST(BinaryOps, LogicTruthTables) {
  // a = [0,0,1,1] as a column against b = [0,1] as a row: every pair once.
  Tensor a = B({2, 1}, {0, 1}), b = B({1, 2}, {0, 1});
  ExpectTensor(Run1("And", {&a, &b}), DType::kBool, {2, 2}, {0, 0, 0, 1});
  ExpectTensor(Run1("Or", {&a, &b}), DType::kBool, {2, 2}, {0, 1, 1, 1});
  ExpectTensor(Run1("Xor", {&a, &b}), DType::kBool, {2, 2}, {0, 1, 1, 0});
  Tensor f = F({1}, {1});
  EXPECT_NE(RunError("And", {&f, &f}).find("float32 is not supported"), std::string::npos);
}

TEST(BinaryOps, PReluAndBitShift) {
  // PRelu: x < 0 ? slope * x : x, slope per channel (dim 1 of NCHW as [C,1,1]).
  Tensor x = F({1, 2, 2, 1}, {-2, 3, -4, 5}), slope = F({2, 1, 1}, {0.5f, 0.25f});
  ExpectTensor(Run1("PRelu", {&x, &slope}), DType::kFloat32, {1, 2, 2, 1}, {-1, 3, -1, 5});
  // uint8: 16>>1=8, 4>>2=1, 1>>3=0; 1<<7=128, 1<<8 shifts everything out: 0.
  Tensor u = T1<uint8_t>({3}, {16, 4, 1}), s = T1<uint8_t>({3}, {1, 2, 3});
  ExpectInt64(Run1("BitShift", {&u, &s}, {AttrS("direction", "RIGHT")}), DType::kUInt8, {3}, {8, 1, 0});
  Tensor one = T1<uint8_t>({2}, {1, 1}), sh = T1<uint8_t>({2}, {7, 8});
  ExpectInt64(Run1("BitShift", {&one, &sh}, {AttrS("direction", "LEFT")}), DType::kUInt8, {2}, {128, 0});
}

TEST(BinaryOps, HalfPrecisionAndFloat64) {
  // 1.5 + 2.25 = 3.75 and 1.5 * 2.25 = 3.375 are exact in every float format here.
  for (DType t : {DType::kFloat16, DType::kBFloat16, DType::kFloat64}) {
    Tensor a = FromDoubles(t, {2}, {1.5, 1.5}), b = FromDoubles(t, {1}, {2.25});
    ExpectTensor(Run1("Add", {&a, &b}), t, {2}, {3.75, 3.75});
    ExpectTensor(Run1("Mul", {&a, &b}), t, {2}, {3.375, 3.375});
    ExpectTensor(Run1("Less", {&a, &b}), DType::kBool, {2}, {1, 1});
  }
}

TEST(BinaryOps, ScalarsAndEmpty) {
  Tensor a = Tensor::Scalar<float>(2), b = Tensor::Scalar<float>(3);
  ExpectTensor(Run1("Mul", {&a, &b}), DType::kFloat32, {}, {6});
  Tensor e = F({0, 3}, {}), r = F({3}, {1, 2, 3});
  Tensor y = Run1("Add", {&e, &r});
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
}

TEST(BinaryOps, BadInputsAreUserErrors) {
  Tensor a = F({2, 3}, {1, 2, 3, 4, 5, 6}), b = F({2}, {1, 2});
  EXPECT_NE(RunError("Add", {&a, &b}).find("do not broadcast"), std::string::npos);
  Tensor i = I64({3}, {1, 2, 3}), f = F({3}, {1, 2, 3});
  EXPECT_NE(RunError("Add", {&i, &f}).find("one type"), std::string::npos);
}

}  // namespace
}  // namespace samq::testing::elem
