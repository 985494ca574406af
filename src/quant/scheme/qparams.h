// From calibrated ranges and weight tensors to scales and zero points, with ONNX
// QuantizeLinear's exact arithmetic (x / scale in float32, round half to even, saturate), so
// that what samq reports (fake-quantization SQNR) is what a QDQ runtime computes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "quant/calib/observers.h"
#include "quant/quant_options.h"

namespace samq::quant {

// What calibration learned about one activation.
struct ActivationStats {
  MinMax range;
  AbsHistogram hist;  // filled only for histogram methods
};

struct ActivationQParams {
  DType type = DType::kUInt8;  // uint8, int8 or float8e4m3fn
  float scale = 1;
  int32_t zero_point = 0;
  double lo = 0, hi = 0;       // the range mapped onto the grid (after clipping)
};

// int8: asymmetric uint8 over [min(lo,0), max(hi,0)] or symmetric int8 over [-t, t];
// fp8: E4M3FN with scale amax / 448. The histogram methods pick t; asymmetric ranges are then
// [max(min, -t), min(max, t)].
ActivationQParams ChooseActivationQParams(const ActivationStats& s, QuantMode mode, ActivationType type,
                                          CalibMethod method, double percentile);

// QuantizeLinear then DequantizeLinear of one value.
float FakeQuantize(float x, const ActivationQParams& q);

struct QuantizedWeight {
  int axis = -1;              // -1 = per tensor
  std::vector<float> scales;  // one per channel (or one)
  Tensor quantized;           // int8 or float8e4m3fn, the weight's shape; zero points are 0
  double sqnr_db = 0;         // weight vs its dequantized value
};

// Symmetric weights: scale = max|w| / 127 (int8) or / 448 (fp8) per channel of `axis`.
QuantizedWeight QuantizeWeight(const Tensor& w, int axis, QuantMode mode);

// 10 log10(signal energy / error energy); +inf-safe (capped at 200 dB for exact values).
double SqnrDb(double signal, double noise);

}  // namespace samq::quant
