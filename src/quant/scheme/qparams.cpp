#include "quant/scheme/qparams.h"

#include <algorithm>
#include <cmath>

#include "core/float_convert.h"

namespace samq::quant {
namespace {

constexpr float kFp8Max = 448.0f;

// A zero range still needs a valid (positive) scale; 1 makes every value quantize to itself
// rounded, which is what an all-zero tensor needs.
float SafeScale(double s) { return s > 0 && std::isfinite(s) ? static_cast<float>(s) : 1.0f; }

}  // namespace

ActivationQParams ChooseActivationQParams(const ActivationStats& s, QuantMode mode, ActivationType type,
                                          CalibMethod method, double percentile) {
  ActivationQParams q;
  double lo = s.range.seen ? s.range.min : 0.0, hi = s.range.seen ? s.range.max : 0.0;
  const bool unsigned_grid = mode == QuantMode::kInt8 && type == ActivationType::kUInt8Asymmetric;
  double t = std::max(std::fabs(lo), std::fabs(hi));
  switch (method) {
    case CalibMethod::kMax: break;
    case CalibMethod::kEntropy: t = EntropyThreshold(s.hist, unsigned_grid && lo >= 0 ? 255 : 128); break;
    case CalibMethod::kPercentile: t = PercentileThreshold(s.hist, percentile); break;
    case CalibMethod::kMse: t = MseThreshold(s.hist, unsigned_grid && lo >= 0 ? 255 : 127); break;
  }
  if (mode == QuantMode::kFp8) {
    q.type = DType::kFloat8E4M3FN;
    q.scale = SafeScale(t / kFp8Max);
    q.lo = -t;
    q.hi = t;
    return q;
  }
  if (!unsigned_grid) {
    q.type = DType::kInt8;
    q.scale = SafeScale(t / 127.0);
    q.lo = -t;
    q.hi = t;
    return q;
  }
  lo = std::min(std::max(lo, -t), 0.0);
  hi = std::max(std::min(hi, t), 0.0);
  q.type = DType::kUInt8;
  q.scale = SafeScale((hi - lo) / 255.0);
  q.zero_point = static_cast<int32_t>(std::clamp(std::nearbyint(-lo / q.scale), 0.0, 255.0));
  q.lo = lo;
  q.hi = hi;
  return q;
}

float FakeQuantize(float x, const ActivationQParams& q) {
  if (q.type == DType::kFloat8E4M3FN) return fp8e4m3fn_to_float(float_to_fp8e4m3fn(x / q.scale)) * q.scale;
  const float qmin = q.type == DType::kUInt8 ? 0.f : -128.f, qmax = q.type == DType::kUInt8 ? 255.f : 127.f;
  const float v = std::clamp(std::nearbyint(x / q.scale) + static_cast<float>(q.zero_point), qmin, qmax);
  return (v - static_cast<float>(q.zero_point)) * q.scale;
}

QuantizedWeight QuantizeWeight(const Tensor& w, int axis, QuantMode mode) {
  QuantizedWeight r;
  r.axis = axis;
  const Shape& shape = w.shape();
  int64_t outer = 1, channels = 1, inner = 1;
  if (axis >= 0) {
    for (int d = 0; d < axis; ++d) outer *= shape[d];
    channels = shape[axis];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  } else {
    inner = w.numel();
  }
  const float* x = w.data<float>();
  const float qmax = mode == QuantMode::kFp8 ? kFp8Max : 127.f;
  std::vector<double> amax(channels, 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i)
        amax[c] = std::max(amax[c], std::fabs(static_cast<double>(x[(o * channels + c) * inner + i])));
  r.scales.resize(channels);
  for (int64_t c = 0; c < channels; ++c) r.scales[c] = SafeScale(amax[c] / qmax);

  const bool fp8 = mode == QuantMode::kFp8;
  r.quantized = Tensor::Zeros(fp8 ? DType::kFloat8E4M3FN : DType::kInt8, shape);
  uint8_t* q8 = r.quantized.data<uint8_t>();
  int8_t* qi = r.quantized.data<int8_t>();
  double signal = 0, noise = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = (o * channels + c) * inner + i;
        const float s = r.scales[c];
        float deq;
        if (fp8) {
          q8[k] = float_to_fp8e4m3fn(x[k] / s);
          deq = fp8e4m3fn_to_float(q8[k]) * s;
        } else {
          const float v = std::clamp(std::nearbyint(x[k] / s), -128.f, 127.f);
          qi[k] = static_cast<int8_t>(v);
          deq = v * s;
        }
        signal += static_cast<double>(x[k]) * x[k];
        noise += static_cast<double>(x[k] - deq) * (x[k] - deq);
      }
  r.sqnr_db = SqnrDb(signal, noise);
  return r;
}

double SqnrDb(double signal, double noise) {
  if (noise <= 0) return 200.0;
  if (signal <= 0) return -200.0;
  return std::min(200.0, 10.0 * std::log10(signal / noise));
}

}  // namespace samq::quant
