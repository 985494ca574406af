// Where, Clip, variadic Max/Min/Sum/Mean, Cast and CastLike on hand-derived values.
#include <cstring>
#include <limits>

#include "core/float_convert.h"
#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

const float kNaNf = std::numeric_limits<float>::quiet_NaN();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(WhereOp, ThreeWayBroadcast) {
  // cond [2,1] x [1,3] x scalar -> [2,3]: row 0 takes y (=9), row 1 takes x.
  Tensor c = B({2, 1}, {0, 1}), x = F({1, 3}, {1, 2, 3}), y = Tensor::Scalar<float>(9);
  ExpectTensor(Run1("Where", {&c, &x, &y}), DType::kFloat32, {2, 3}, {9, 9, 9, 1, 2, 3});
  // int64 shape math: where(dims == -1, 1, dims).
  Tensor d = I64({3}, {4, -1, 8}), m1 = Tensor::Scalar<int64_t>(-1), one = Tensor::Scalar<int64_t>(1);
  Tensor eq = Run1("Equal", {&d, &m1});
  ExpectInt64(Run1("Where", {&eq, &one, &d}), DType::kInt64, {3}, {4, 1, 8});
  // Empty condition dims give an empty output.
  Tensor ec = B({0}, {}), ex = F({1}, {1});
  EXPECT_EQ(Run1("Where", {&ec, &ex, &ex}).shape(), (Shape{0}));
  Tensor fc = F({1}, {1});
  EXPECT_NE(RunError("Where", {&fc, &x, &x}).find("condition must be bool"), std::string::npos);
}

TEST(ClipOp, InputsAttributesAndEdgeCases) {
  Tensor x = F({5}, {-2, 0.5f, 3, kNaNf, 10});
  Tensor lo = Tensor::Scalar<float>(0), hi = Tensor::Scalar<float>(1);
  // opset 11+: bounds as inputs; NaN passes through as in NumPy's clip.
  ExpectTensor(Run1("Clip", {&x, &lo, &hi}, {}, 13), DType::kFloat32, {5}, {0, 0.5, 1, kNaN, 1});
  // Only max (min omitted).
  ExpectTensor(Run1("Clip", {&x, nullptr, &hi}, {}, 13), DType::kFloat32, {5}, {-2, 0.5, 1, kNaN, 1});
  // No bounds: identity.
  ExpectTensor(Run1("Clip", {&x}, {}, 13), DType::kFloat32, {5}, {-2, 0.5, 3, kNaN, 10});
  // opset 6: bounds as attributes.
  ExpectTensor(Run1("Clip", {&x}, {AttrF("min", -1), AttrF("max", 2)}, 6), DType::kFloat32, {5},
               {-1, 0.5, 2, kNaN, 2});
  // min > max: everything becomes max (min(max(x, lo), hi)).
  Tensor lo2 = Tensor::Scalar<float>(5), hi2 = Tensor::Scalar<float>(4);
  ExpectTensor(Run1("Clip", {&x, &lo2, &hi2}, {}, 13), DType::kFloat32, {5}, {4, 4, 4, kNaN, 4});
  // int64 (opset 12+).
  Tensor i = I64({3}, {-5, 5, 50}), ilo = Tensor::Scalar<int64_t>(0), ihi = Tensor::Scalar<int64_t>(10);
  ExpectInt64(Run1("Clip", {&i, &ilo, &ihi}, {}, 13), DType::kInt64, {3}, {0, 5, 10});
  Tensor vec = F({2}, {0, 1});
  EXPECT_NE(RunError("Clip", {&x, &vec}, {}, 13).find("must be a scalar"), std::string::npos);
}

TEST(VariadicOps, MaxMinSumMeanBroadcast) {
  Tensor a = F({2, 1}, {1, 5}), b = F({3}, {2, 4, 6}), c = Tensor::Scalar<float>(3);
  // Pairs (row value, column value): rows 1 and 5 against 2, 4, 6; then against 3.
  ExpectTensor(Run1("Max", {&a, &b, &c}), DType::kFloat32, {2, 3}, {3, 4, 6, 5, 5, 6});
  ExpectTensor(Run1("Min", {&a, &b, &c}), DType::kFloat32, {2, 3}, {1, 1, 1, 2, 3, 3});
  ExpectTensor(Run1("Sum", {&a, &b, &c}), DType::kFloat32, {2, 3}, {6, 8, 10, 10, 12, 14});
  ExpectTensor(Run1("Mean", {&a, &b, &c}), DType::kFloat32, {2, 3}, {2, 8.0 / 3, 10.0 / 3, 10.0 / 3, 4, 14.0 / 3}, 1e-6);
  ExpectTensor(Run1("Max", {&b}), DType::kFloat32, {3}, {2, 4, 6});
  // NaN wins in Max/Min (NumPy maximum/minimum).
  Tensor n = F({2}, {kNaNf, 1}), m = F({2}, {0, kNaNf});
  ExpectTensor(Run1("Max", {&n, &m}), DType::kFloat32, {2}, {kNaN, kNaN});
  Tensor i = I64({2}, {3, -7}), j = I64({2}, {-1, 2});
  ExpectInt64(Run1("Max", {&i, &j}), DType::kInt64, {2}, {3, 2});
  ExpectInt64(Run1("Sum", {&i, &j}), DType::kInt64, {2}, {2, -5});
}

uint16_t HalfBits(const Tensor& t, int i) { return t.data<uint16_t>()[i]; }

TEST(CastOp, FloatToIntegerTruncatesAndIntegersWrap) {
  Tensor x = F({5}, {1.9f, -1.9f, 2.5f, -0.5f, 100.7f});
  ExpectInt64(Run1("Cast", {&x}, {AttrI("to", 6)}), DType::kInt32, {5}, {1, -1, 2, 0, 100});
  ExpectInt64(Run1("Cast", {&x}, {AttrI("to", 7)}), DType::kInt64, {5}, {1, -1, 2, 0, 100});
  // int64 -> int32 keeps the low 32 bits: 2^32 + 5 -> 5, 2^31 -> -2^31.
  Tensor big = I64({2}, {(1LL << 32) + 5, 1LL << 31});
  ExpectInt64(Run1("Cast", {&big}, {AttrI("to", 6)}), DType::kInt32, {2}, {5, -(1LL << 31)});
  // int64 max survives int64 -> int64 (no trip through double) and -> float rounds to 2^63.
  Tensor mx = I64({1}, {std::numeric_limits<int64_t>::max()});
  ExpectTensor(Run1("Cast", {&mx}, {AttrI("to", 1)}), DType::kFloat32, {1}, {9223372036854775808.0});
  // int32 -> uint8 wraps: 300 -> 44, -1 -> 255.
  Tensor i = I32({2}, {300, -1});
  ExpectInt64(Run1("Cast", {&i}, {AttrI("to", 2)}), DType::kUInt8, {2}, {44, 255});
}

TEST(CastOp, BoolConversions) {
  Tensor x = F({4}, {0, -0.0f, 2.5f, kNaNf});
  ExpectTensor(Run1("Cast", {&x}, {AttrI("to", 9)}), DType::kBool, {4}, {0, 0, 1, 1});
  Tensor b = B({2}, {1, 0});
  ExpectTensor(Run1("Cast", {&b}, {AttrI("to", 1)}), DType::kFloat32, {2}, {1, 0});
  ExpectInt64(Run1("Cast", {&b}, {AttrI("to", 7)}), DType::kInt64, {2}, {1, 0});
}

TEST(CastOp, HalfAndBFloat16RoundToNearestEven) {
  // 1/3 in float16 is 0x3555 (0.333251953125); 65520 rounds to +inf (0x7c00); in bfloat16
  // 1/3 is 0x3eab. 1 + 2^-8 is halfway between bf16 neighbours 1 and 1 + 2^-7: ties to even -> 1.
  Tensor x = F({3}, {1.0f / 3, 65520.0f, 1.0f + 1.0f / 256});
  Tensor h = Run1("Cast", {&x}, {AttrI("to", 10)});
  ASSERT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_EQ(HalfBits(h, 0), 0x3555);
  EXPECT_EQ(HalfBits(h, 1), 0x7c00);
  Tensor bf = Run1("Cast", {&x}, {AttrI("to", 16)});
  EXPECT_EQ(HalfBits(bf, 0), 0x3eab);
  EXPECT_EQ(HalfBits(bf, 2), 0x3f80);
  // Back to float: exact.
  ExpectTensor(Run1("Cast", {&h}, {AttrI("to", 1)}), DType::kFloat32, {3},
               {0.333251953125, std::numeric_limits<double>::infinity(), 1.00390625});
}

TEST(CastOp, Float64ToHalfRoundsOnce) {
  // 1 + 2^-11 + 2^-40 is just above the midpoint between float16 1 and 1 + 2^-10, so it rounds
  // up. Going double -> float (nearest) -> half would land exactly on the midpoint and round to
  // even (1.0): the round-to-odd step avoids that double rounding.
  Tensor d = T1<double>({1}, {1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)});
  Tensor h = Run1("Cast", {&d}, {AttrI("to", 10)});
  EXPECT_EQ(HalfBits(h, 0), 0x3c01);
}

TEST(CastOp, Float8SaturateAttribute) {
  // e4m3fn: largest finite 448 (0x7e), NaN 0x7f; e5m2: largest finite 57344 (0x7b), inf 0x7c.
  Tensor x = F({4}, {1000, -1000, 1.0f, 0.0f});
  Tensor a = Run1("Cast", {&x}, {AttrI("to", 17)}, 19);
  EXPECT_EQ(a.data<uint8_t>()[0], 0x7e);
  EXPECT_EQ(a.data<uint8_t>()[1], 0xfe);
  EXPECT_EQ(a.data<uint8_t>()[2], 0x38);  // 1.0 = exponent 7 (bias 7), mantissa 0
  Tensor b = Run1("Cast", {&x}, {AttrI("to", 17), AttrI("saturate", 0)}, 19);
  EXPECT_EQ(b.data<uint8_t>()[0], 0x7f);
  Tensor y = F({1}, {1e6f});
  EXPECT_EQ(Run1("Cast", {&y}, {AttrI("to", 19)}, 19).data<uint8_t>()[0], 0x7b);
  EXPECT_EQ(Run1("Cast", {&y}, {AttrI("to", 19), AttrI("saturate", 0)}, 19).data<uint8_t>()[0], 0x7c);
  // fp8 -> float is exact: 0x7e -> 448.
  ExpectTensor(Run1("Cast", {&a}, {AttrI("to", 1)}, 19), DType::kFloat32, {4}, {448, -448, 1, 0});
}

TEST(CastOp, Int4WrapsLikeOnnxReference) {
  // ONNX's reference (ml_dtypes) truncates then keeps 4 bits: -9 -> 7, 8 -> -8, 2.7 -> 2;
  // uint4: -1 -> 15, 16 -> 0.
  Tensor x = F({5}, {-9, 8, 2.7f, -8, 7});
  ExpectInt64(Run1("Cast", {&x}, {AttrI("to", 22)}, 21), DType::kInt4, {5}, {7, -8, 2, -8, 7});
  Tensor u = F({3}, {-1, 16, 15});
  ExpectInt64(Run1("Cast", {&u}, {AttrI("to", 21)}, 21), DType::kUInt4, {3}, {15, 0, 15});
  Tensor i4 = Run1("Cast", {&x}, {AttrI("to", 22)}, 21);
  ExpectTensor(Run1("Cast", {&i4}, {AttrI("to", 1)}, 21), DType::kFloat32, {5}, {7, -8, 2, -8, 7});
}

TEST(CastOp, SameTypeIsAViewAndCastLikeUsesTheTarget) {
  Tensor x = F({2}, {1.5f, 2});
  Tensor y = Run1("Cast", {&x}, {AttrI("to", 1)});
  EXPECT_EQ(y.raw(), x.raw());
  Tensor like = I64({1}, {0});
  ExpectInt64(Run1("CastLike", {&x, &like}), DType::kInt64, {2}, {1, 2});
  EXPECT_NE(RunError("Cast", {&x}, {AttrI("to", 8)}).find("to=8"), std::string::npos);
  EXPECT_NE(RunError("Cast", {&x}).find("'to'"), std::string::npos);
  Tensor empty = F({0}, {});
  EXPECT_EQ(Run1("Cast", {&empty}, {AttrI("to", 7)}).shape(), (Shape{0}));
}

}  // namespace
}  // namespace samq::testing::elem
