// Everything `samq quantize` / samq::quantize() can be asked for (docs/CLI.md, "Quantize and
// compare"), in one struct shared by calibration, the scheme and QDQ insertion.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "quant/calib/observers.h"
#include "sam/family.h"

namespace samq::quant {

enum class QuantMode { kInt8, kFp8 };
enum class WeightsForm { kQdq, kDq };  // float initializer -> Q -> DQ, or int8 initializer -> DQ
enum class ActivationType { kUInt8Asymmetric, kInt8Symmetric };

struct QuantizeConfig {
  std::string model_path, out_path;
  QuantMode mode = QuantMode::kInt8;
  // Calibration data: a folder of images, or seeded random data.
  std::string calib_dir;
  std::vector<std::string> calib_ext = {"jpg", "jpeg", "png"};
  int64_t calib_size = 32;
  bool random_calib = false;
  uint64_t seed = 0;
  CalibMethod method = CalibMethod::kMax;
  double percentile = 99.99;
  // Scheme.
  std::vector<std::string> op_types = {"MatMul", "Conv", "Gemm"};
  std::vector<std::string> exclude;  // ECMAScript regexes on node names (search, not full match)
  bool quantize_attention = false;   // MatMuls whose both inputs are activations
  bool per_channel = true;
  WeightsForm weights = WeightsForm::kQdq;
  ActivationType activation_type = ActivationType::kUInt8Asymmetric;
  // Family / decoder calibration.
  std::optional<sam::Family> family;  // nullopt = detect
  std::string encoder_path;           // needed to calibrate a SAM decoder
  int decoder_grid = 2;               // grid x grid point prompts per image (decoder calibration)
  std::string report_path;            // empty = no JSON report
  int threads = 0;
};

}  // namespace samq::quant
