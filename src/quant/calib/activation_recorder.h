// Records the statistics of the activations to quantize while calibration data runs through a
// session (through rt::Session::set_value_tap). Calibration makes up to three passes over the
// same data: ranges (min/max), then |x| histograms over the observed range (histogram methods
// only), then the fake-quantization error of the chosen parameters (for the report's SQNR).
#pragma once

#include <map>
#include <set>
#include <string>

#include "runtime/session.h"
#include "quant/scheme/qparams.h"

namespace samq::quant {

class ActivationRecorder {
 public:
  enum class Phase { kRange, kHistogram, kError };
  explicit ActivationRecorder(const std::set<std::string>& values);

  // kHistogram fixes each histogram's range from the kRange pass; kError needs `qparams`.
  void BeginPhase(Phase phase, const std::map<std::string, ActivationQParams>* qparams = nullptr);
  rt::Session::ValueTap Tap();

  const std::map<std::string, ActivationStats>& stats() const { return stats_; }
  // SQNR of fake-quantized vs float over the kError pass; 0 if the value was never seen.
  double SqnrDb(const std::string& value) const;
  // Values that were never observed as float32 (they cannot be quantized).
  std::set<std::string> Unseen() const;

 private:
  void Observe(const std::string& name, const Tensor& t);
  Phase phase_ = Phase::kRange;
  const std::map<std::string, ActivationQParams>* qparams_ = nullptr;
  std::map<std::string, ActivationStats> stats_;
  std::map<std::string, std::pair<double, double>> error_;  // signal, noise energy
};

}  // namespace samq::quant
