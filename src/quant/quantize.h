// Post-training quantization of an ONNX model into standard QDQ ONNX: load, plan the scheme,
// calibrate activations on images preprocessed as the family's predictor does, quantize the
// weights, insert QuantizeLinear/DequantizeLinear, write the file (deterministic bytes, atomic).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "quant/quant_options.h"
#include "quant/scheme/quant_plan.h"

namespace samq::quant {

struct TensorReport {
  std::string name;
  bool is_weight = false;
  DType type = DType::kUndefined;
  int axis = -1;               // per-channel axis (weights), -1 = per tensor
  std::vector<float> scales;   // one, or one per channel
  int32_t zero_point = 0;
  double observed_min = 0, observed_max = 0;  // activations: calibration min/max
  double lo = 0, hi = 0;       // activations: the range put on the grid
  std::string observer;        // calibration method, or "weight-absmax"
  double sqnr_db = 0;          // fake-quantized vs float (weights: the tensor; activations: calibration data)
  bool has_sqnr = false;
  std::vector<std::string> consumers;  // quantized nodes reading it
};

struct QuantizeSummary {
  std::string model, out, family, role;
  std::string mode, weights_form, activation_type;
  int64_t calib_samples = 0;      // model runs per calibration pass
  std::string calib_source;       // folder, or "random (seed N)"
  std::vector<std::string> calib_items;  // image names
  std::vector<NodePlan> quantized;
  std::vector<Exclusion> excluded;
  std::vector<TensorReport> tensors;
  std::vector<std::string> warnings;
  uint64_t in_bytes = 0, out_bytes = 0;
  double seconds = 0;
};

Result<QuantizeSummary> Quantize(const QuantizeConfig& config);

// The --report JSON (deterministic key order), written atomically.
Status WriteQuantizeReport(const std::string& path, const QuantizeSummary& s);
// A few lines for stderr.
std::string HumanSummary(const QuantizeSummary& s);

}  // namespace samq::quant
