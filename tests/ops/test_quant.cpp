// QuantizeLinear / DequantizeLinear: per-tensor, per-axis, blocked; integer and float8 types.
// Every expected value is derived in the comment beside it from
//   Q: clamp(round_half_even(x / scale) + zp, qmin, qmax)     DQ: (q - zp) * scale.
#include <limits>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

TEST(QuantizeLinearOp, PerTensorUint8RoundsHalfToEven) {
  // scale 0.5, zp 128: x/scale = [0, 3, 5, -2, 600, 1, 2.5->2, 3.5->4, -0.5->-0] ->
  // [128, 131, 133, 126, 255 (clamped), 129, 130, 132, 128].
  Tensor x = F({9}, {0, 1.5f, 2.5f, -1, 300, 0.5f, 1.25f, 1.75f, -0.25f});
  Tensor s = Tensor::Scalar<float>(0.5f), zp = Tensor::Scalar<uint8_t>(128);
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zp}, {}, 13), DType::kUInt8, {9},
              {128, 131, 133, 126, 255, 129, 130, 132, 128});
  // No zero point: uint8 with zp 0, negatives clamp to 0.
  ExpectInt64(Run1("QuantizeLinear", {&x, &s}, {}, 13), DType::kUInt8, {9}, {0, 3, 5, 0, 255, 1, 2, 4, 0});
}

TEST(QuantizeLinearOp, OutputDtypeInt8AndInt16) {
  // opset 21 output_dtype without zero point: int8, x/1 -> [-128 (clamped from -200), -3, 127].
  Tensor x = F({3}, {-200, -2.5f, 1000}), s = Tensor::Scalar<float>(1);
  ExpectInt64(Run1("QuantizeLinear", {&x, &s}, {AttrI("output_dtype", 3)}, 21), DType::kInt8, {3}, {-128, -2, 127});
  Tensor zp16 = Tensor::Scalar<int16_t>(10);
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zp16}, {}, 21), DType::kInt16, {3}, {-190, 8, 1010});
  Tensor zp8 = Tensor::Scalar<int8_t>(0);
  EXPECT_NE(RunError("QuantizeLinear", {&x, &s, &zp8}, {AttrI("output_dtype", 2)}, 21).find("differs"),
            std::string::npos);
}

TEST(QuantizeLinearOp, PerAxis) {
  // x [2,3], axis 1 scales [1, 2, 4], zps [0, 1, 2]: column c -> x/scale_c + zp_c.
  // Row 0: [4/1+0, 4/2+1, 4/4+2] = [4, 3, 3]; row 1: [-8, -8/2+1, -8/4+2] = [-8, -3, 0].
  Tensor x = F({2, 3}, {4, 4, 4, -8, -8, -8});
  Tensor s = F({3}, {1, 2, 4}), zp = T1<int8_t>({3}, {0, 1, 2});
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zp}, {AttrI("axis", 1)}, 13), DType::kInt8, {2, 3}, {4, 3, 3, -8, -3, 0});
  // Negative axis -1 is the same axis.
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zp}, {AttrI("axis", -1)}, 13), DType::kInt8, {2, 3}, {4, 3, 3, -8, -3, 0});
  Tensor bad = F({2}, {1, 1});
  EXPECT_NE(RunError("QuantizeLinear", {&x, &bad}, {AttrI("axis", 1)}, 13).find("per-axis scale"), std::string::npos);
}

TEST(QuantizeLinearOp, BlockedIncludingARemainderBlock) {
  // x [2,5], axis 1, block 2 -> 3 blocks per row (the last holds one element): scale [2,3].
  // Row 0 scales [1, 2, 4]: [1,2 | 3,4 | 5] -> [1, 2, 2 (1.5 even), 2, 1 (1.25)].
  // Row 1 scales [0.5, 1, 10]: [1,2 | 3,4 | 5] -> [2, 4, 3, 4, 0 (0.5 even)].
  Tensor x = F({2, 5}, {1, 2, 3, 4, 5, 1, 2, 3, 4, 5});
  Tensor s = F({2, 3}, {1, 2, 4, 0.5f, 1, 10}), zp = T1<int8_t>({2, 3}, {0, 0, 0, 0, 0, 0});
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zp}, {AttrI("axis", 1), AttrI("block_size", 2)}, 21),
              DType::kInt8, {2, 5}, {1, 2, 2, 2, 1, 2, 4, 3, 4, 0});
  // Blocked along axis 0 (block 2 covers both rows): scale [1,5] = per-column scale.
  Tensor s0 = F({1, 5}, {1, 1, 1, 1, 5});
  Tensor zp0 = T1<int8_t>({1, 5}, {0, 0, 0, 0, 0});
  ExpectInt64(Run1("QuantizeLinear", {&x, &s0, &zp0}, {AttrI("axis", 0), AttrI("block_size", 2)}, 21),
              DType::kInt8, {2, 5}, {1, 2, 3, 4, 1, 1, 2, 3, 4, 1});
  Tensor wrong = F({2, 2}, {1, 1, 1, 1});
  EXPECT_NE(RunError("QuantizeLinear", {&x, &wrong}, {AttrI("axis", 1), AttrI("block_size", 2)}, 21)
                .find("blocked scale"), std::string::npos);
}

TEST(QuantizeLinearOp, FourBitAndFloat8) {
  // int4 range [-8, 7], uint4 [0, 15]: x/1 = [-9, -8, 7, 8] -> [-8, -8, 7, 7]; uint4 -> [0, 0, 7, 8].
  Tensor x = F({4}, {-9, -8, 7, 8}), s = Tensor::Scalar<float>(1);
  Tensor zi4 = Tensor::Zeros(DType::kInt4, {}), zu4 = Tensor::Zeros(DType::kUInt4, {});
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zi4}, {}, 21), DType::kInt4, {4}, {-8, -8, 7, 7});
  ExpectInt64(Run1("QuantizeLinear", {&x, &s, &zu4}, {}, 21), DType::kUInt4, {4}, {0, 0, 7, 8});
  // float8 e4m3fn: 1000/2 = 500 > 448 saturates to 448 (0x7e); with saturate=0 it is NaN (0x7f);
  // 3/2 = 1.5 = 0x3c (exponent 7, mantissa 100).
  Tensor y = F({2}, {1000, 3}), s2 = Tensor::Scalar<float>(2);
  Tensor z8 = Tensor::Zeros(DType::kFloat8E4M3FN, {});
  Tensor q = Run1("QuantizeLinear", {&y, &s2, &z8}, {}, 19);
  ASSERT_EQ(q.dtype(), DType::kFloat8E4M3FN);
  EXPECT_EQ(q.data<uint8_t>()[0], 0x7e);
  EXPECT_EQ(q.data<uint8_t>()[1], 0x3c);
  Tensor q2 = Run1("QuantizeLinear", {&y, &s2, &z8}, {AttrI("saturate", 0)}, 19);
  EXPECT_EQ(q2.data<uint8_t>()[0], 0x7f);
}

TEST(DequantizeLinearOp, PerTensorPerAxisBlocked) {
  // (q - zp) * scale: uint8 [0, 128, 255] zp 128 scale 0.5 -> [-64, 0, 63.5].
  Tensor q = T1<uint8_t>({3}, {0, 128, 255});
  Tensor s = Tensor::Scalar<float>(0.5f), zp = Tensor::Scalar<uint8_t>(128);
  ExpectTensor(Run1("DequantizeLinear", {&q, &s, &zp}, {}, 13), DType::kFloat32, {3}, {-64, 0, 63.5});
  // Per-axis on axis 0 of int8 [2,2]: row scales [1, 0.25], zps [1, -1]:
  // row 0 [3,5] -> [2, 4]; row 1 [3,5] -> [1, 1.5].
  Tensor q2 = T1<int8_t>({2, 2}, {3, 5, 3, 5});
  Tensor s2 = F({2}, {1, 0.25f}), zp2 = T1<int8_t>({2}, {1, -1});
  ExpectTensor(Run1("DequantizeLinear", {&q2, &s2, &zp2}, {AttrI("axis", 0)}, 13), DType::kFloat32, {2, 2},
               {2, 4, 1, 1.5});
  // Blocked: [1,4] with block 2 on axis 1: scales [1, 10] -> [3, 5, 30, 50].
  Tensor q3 = T1<int8_t>({1, 4}, {3, 5, 3, 5});
  Tensor s3 = F({1, 2}, {1, 10});
  ExpectTensor(Run1("DequantizeLinear", {&q3, &s3}, {AttrI("axis", 1), AttrI("block_size", 2)}, 21),
               DType::kFloat32, {1, 4}, {3, 5, 30, 50});
}

TEST(DequantizeLinearOp, Int32Int4Float8AndHalfScale) {
  // int32 (bias-style, no zero point): [-1000, 7] * 0.001 = [-1, 0.007].
  Tensor q = I32({2}, {-1000, 7}), s = Tensor::Scalar<float>(0.001f);
  ExpectTensor(Run1("DequantizeLinear", {&q, &s}, {}, 13), DType::kFloat32, {2}, {-1, 0.007}, 1e-6);
  // int4 [-8, 7] with zp -1 and scale 2 -> [-14, 16].
  Tensor q4 = FromDoubles(DType::kInt4, {2}, {-8, 7}), z4 = FromDoubles(DType::kInt4, {}, {-1});
  Tensor s2 = Tensor::Scalar<float>(2);
  ExpectTensor(Run1("DequantizeLinear", {&q4, &s2, &z4}, {}, 21), DType::kFloat32, {2}, {-14, 16});
  // float8 e4m3fn 0x3c = 1.5, times 2 = 3.
  Tensor q8 = Tensor::Zeros(DType::kFloat8E4M3FN, {1});
  q8.data<uint8_t>()[0] = 0x3c;
  ExpectTensor(Run1("DequantizeLinear", {&q8, &s2}, {}, 19), DType::kFloat32, {1}, {3});
  // float16 scale gives a float16 output: (5 - 0) * 0.5 = 2.5.
  Tensor q5 = T1<uint8_t>({1}, {5}), sh = FromDoubles(DType::kFloat16, {}, {0.5});
  ExpectTensor(Run1("DequantizeLinear", {&q5, &sh}, {}, 19), DType::kFloat16, {1}, {2.5});
  Tensor bad_zp = Tensor::Scalar<int8_t>(0);
  EXPECT_NE(RunError("DequantizeLinear", {&q5, &s2, &bad_zp}, {}, 19).find("differs"), std::string::npos);
}

TEST(QuantRoundTrip, EmptyAndScalar) {
  Tensor e = F({0, 4}, {}), s = Tensor::Scalar<float>(1);
  Tensor q = Run1("QuantizeLinear", {&e, &s}, {}, 13);
  EXPECT_EQ(q.shape(), (Shape{0, 4}));
  Tensor x = Tensor::Scalar<float>(2.6f);
  Tensor qs = Run1("QuantizeLinear", {&x, &s}, {}, 13);
  ExpectInt64(qs, DType::kUInt8, {}, {3});
  ExpectTensor(Run1("DequantizeLinear", {&qs, &s}, {}, 13), DType::kFloat32, {}, {3});
}

}  // namespace
}  // namespace samq::testing::elem
