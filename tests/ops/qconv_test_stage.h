// Operands of one quantized convolution for the fused-conv tests (test_qmbconv.cpp,
// test_qconv_pair.cpp): seeded int8 weights, per-channel weight scales sized so the output is
// O(1), an activation scale and zero point, an optional bias.
#pragma once

#include <cmath>
#include <random>

#include "linalg_test_util.h"

namespace samq::testing::linalg {

// One stage's quantization operands: activation scale and zero point, int8 weights, per-channel
// weight scales (sized so each stage's output is O(1)), bias.
struct Stage {
  Tensor sx, zp, w, ws, b;
};

inline Stage MakeStage(Shape w_shape, float x_range, int zp, bool u8, bool bias, uint32_t seed) {
  Stage s;
  s.sx = Tensor::Scalar<float>(x_range / (u8 ? 255.f : 127.f));
  s.zp = u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(zp));
  s.w = Tensor::Zeros(DType::kInt8, w_shape);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> wd(-127, 127);
  for (int64_t i = 0; i < s.w.numel(); ++i) s.w.data<int8_t>()[i] = static_cast<int8_t>(wd(gen));
  const int64_t ch = w_shape[0], fan_in = s.w.numel() / ch;
  s.ws = Tensor::Zeros(DType::kFloat32, {ch});
  std::uniform_real_distribution<float> sd(0.5f, 1.5f);
  for (int64_t i = 0; i < ch; ++i)
    s.ws.data<float>()[i] = sd(gen) * 1.5f / (127.f * std::sqrt(static_cast<float>(fan_in)));
  if (bias) s.b = Random({ch}, seed + 1, 0.3f);
  return s;
}

}  // namespace samq::testing::linalg
