// Scales and zero points from calibrated ranges, and weight quantization, on hand-derived values
// (ONNX QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point)).
#include <gtest/gtest.h>

#include "quant/scheme/qparams.h"

namespace samq::quant {
namespace {

ActivationStats Range(float lo, float hi) {
  ActivationStats s;
  std::vector<float> v = {lo, hi};
  s.range.Add(v.data(), 2);
  return s;
}

TEST(QParams, AsymmetricUint8FromMinMax) {
  auto q = ChooseActivationQParams(Range(-1.f, 3.f), QuantMode::kInt8, ActivationType::kUInt8Asymmetric,
                                   CalibMethod::kMax, 99.99);
  EXPECT_EQ(q.type, DType::kUInt8);
  EXPECT_FLOAT_EQ(q.scale, 4.f / 255.f);
  EXPECT_EQ(q.zero_point, 64);  // round(1 / (4/255)) = round(63.75)
  // A range that excludes 0 is widened to include it (zero must be exact).
  auto p = ChooseActivationQParams(Range(2.f, 5.1f), QuantMode::kInt8, ActivationType::kUInt8Asymmetric,
                                   CalibMethod::kMax, 99.99);
  EXPECT_FLOAT_EQ(p.scale, 5.1f / 255.f);
  EXPECT_EQ(p.zero_point, 0);
}

TEST(QParams, SymmetricInt8AndFp8) {
  auto q = ChooseActivationQParams(Range(-2.54f, 1.f), QuantMode::kInt8, ActivationType::kInt8Symmetric,
                                   CalibMethod::kMax, 99.99);
  EXPECT_EQ(q.type, DType::kInt8);
  EXPECT_FLOAT_EQ(q.scale, 0.02f);
  EXPECT_EQ(q.zero_point, 0);
  auto f = ChooseActivationQParams(Range(-2.f, 4.48f), QuantMode::kFp8, ActivationType::kUInt8Asymmetric,
                                   CalibMethod::kMax, 99.99);
  EXPECT_EQ(f.type, DType::kFloat8E4M3FN);
  EXPECT_FLOAT_EQ(f.scale, 0.01f);
}

TEST(QParams, AllZeroActivationGetsAValidScale) {
  auto q = ChooseActivationQParams(Range(0.f, 0.f), QuantMode::kInt8, ActivationType::kUInt8Asymmetric,
                                   CalibMethod::kMax, 99.99);
  EXPECT_GT(q.scale, 0.f);
  EXPECT_EQ(FakeQuantize(0.f, q), 0.f);
}

TEST(QParams, FakeQuantizeRoundsHalfToEvenAndSaturates) {
  ActivationQParams q;
  q.type = DType::kUInt8;
  q.scale = 0.5f;
  q.zero_point = 10;
  EXPECT_EQ(FakeQuantize(0.25f, q), 0.f);    // 0.5 -> 0 (even)
  EXPECT_EQ(FakeQuantize(0.75f, q), 1.f);    // 1.5 -> 2 -> 1.0
  EXPECT_EQ(FakeQuantize(-100.f, q), -5.f);  // saturates at 0: (0 - 10) * 0.5
  EXPECT_EQ(FakeQuantize(1000.f, q), 122.5f);  // saturates at 255: (255 - 10) * 0.5
}

TEST(QParams, PerChannelWeightsAxis0) {
  // Rows are output channels (Conv / Gemm transB layout).
  Tensor w = Tensor::FromVector<float>({2, 3}, {1.f, -2.f, 0.5f, 0.f, 0.f, 0.f});
  QuantizedWeight q = QuantizeWeight(w, 0, QuantMode::kInt8);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_FLOAT_EQ(q.scales[0], 2.f / 127.f);
  EXPECT_EQ(q.scales[1], 1.f);  // all-zero channel: any positive scale is exact
  const int8_t* v = q.quantized.data<int8_t>();
  EXPECT_EQ(v[0], 64);    // 63.5 -> 64 (half to even)
  EXPECT_EQ(v[1], -127);
  EXPECT_EQ(v[2], 32);    // 31.75
  EXPECT_EQ(v[3], 0);
}

TEST(QParams, PerChannelWeightsLastAxis) {
  // MatMul [K, N] weight: one scale per column.
  Tensor w = Tensor::FromVector<float>({2, 2}, {1.f, 10.f, -3.f, 5.f});
  QuantizedWeight q = QuantizeWeight(w, 1, QuantMode::kInt8);
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_FLOAT_EQ(q.scales[0], 3.f / 127.f);
  EXPECT_FLOAT_EQ(q.scales[1], 10.f / 127.f);
  const int8_t* v = q.quantized.data<int8_t>();
  EXPECT_EQ(v[1], 127);
  EXPECT_EQ(v[2], -127);
  QuantizedWeight t = QuantizeWeight(w, -1, QuantMode::kInt8);
  ASSERT_EQ(t.scales.size(), 1u);
  EXPECT_FLOAT_EQ(t.scales[0], 10.f / 127.f);
  EXPECT_GT(q.sqnr_db, t.sqnr_db);  // per-channel is never worse here
}

TEST(QParams, SqnrDb) {
  EXPECT_DOUBLE_EQ(SqnrDb(100.0, 1.0), 20.0);
  EXPECT_DOUBLE_EQ(SqnrDb(1.0, 0.0), 200.0);
}

}  // namespace
}  // namespace samq::quant
