// Calibration observers: what range of an activation to map onto the integer grid.
//
//  * max: the observed min and max (no clipping).
//  * entropy: the clip threshold minimizing the KL divergence between the histogram of |x| and
//    its quantized version (the TensorRT / MXNet "entropy calibration" algorithm, 2048 bins).
//  * percentile: the smallest threshold covering `percentile` % of |x|.
//  * mse: the threshold minimizing the mean squared error of symmetric fake quantization,
//    estimated on the histogram's bin centers.
// The histogram methods work on |x| (symmetric thresholds); asymmetric activations then clip
// their observed [min, max] to [-threshold, threshold] (see scheme/qparams.h).
// tests/oracles/observers_oracle.py re-implements each clip search in numpy for the tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace samq::quant {

enum class CalibMethod { kMax, kEntropy, kPercentile, kMse };
std::string_view calib_method_name(CalibMethod m);
std::optional<CalibMethod> calib_method_from_name(std::string_view name);
bool needs_histogram(CalibMethod m);

inline constexpr int kHistogramBins = 2048;

// Running minimum and maximum (NaNs ignored).
struct MinMax {
  float min = 0, max = 0;
  bool seen = false;
  void Add(const float* x, int64_t n);
  double amax() const;  // max(|min|, |max|)
};

// Histogram of |x| over [0, range] in kHistogramBins equal bins; larger values land in the last
// bin. `range` comes from a MinMax pass, so the histogram is exact for the data it was fixed on.
struct AbsHistogram {
  double range = 0;
  std::vector<double> counts = std::vector<double>(kHistogramBins, 0.0);
  double bin_width() const { return range / static_cast<double>(counts.size()); }
  void Add(const float* x, int64_t n);
};

// Thresholds (on |x|). A histogram with no counts, or range 0, gives 0.
// `num_quant_bins`: levels on one side of zero (128 for int8; 256 for uint8 data that is >= 0).
double EntropyThreshold(const AbsHistogram& h, int num_quant_bins);
double PercentileThreshold(const AbsHistogram& h, double percentile);
// Symmetric grid with `qmax` positive levels (127 for int8, 255 for non-negative uint8).
double MseThreshold(const AbsHistogram& h, int qmax);

}  // namespace samq::quant
