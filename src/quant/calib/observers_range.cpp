// The max observer (MinMax), the |x| histogram, and method names.
#include <algorithm>
#include <cmath>

#include "quant/calib/observers.h"

namespace samq::quant {

std::string_view calib_method_name(CalibMethod m) {
  switch (m) {
    case CalibMethod::kMax: return "max";
    case CalibMethod::kEntropy: return "entropy";
    case CalibMethod::kPercentile: return "percentile";
    case CalibMethod::kMse: return "mse";
  }
  return "?";
}

std::optional<CalibMethod> calib_method_from_name(std::string_view name) {
  for (CalibMethod m : {CalibMethod::kMax, CalibMethod::kEntropy, CalibMethod::kPercentile, CalibMethod::kMse})
    if (calib_method_name(m) == name) return m;
  return std::nullopt;
}

bool needs_histogram(CalibMethod m) { return m != CalibMethod::kMax; }

void MinMax::Add(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) continue;
    if (!seen) {
      min = max = v;
      seen = true;
    } else {
      min = std::min(min, v);
      max = std::max(max, v);
    }
  }
}

double MinMax::amax() const { return seen ? std::max(std::fabs(double(min)), std::fabs(double(max))) : 0.0; }

void AbsHistogram::Add(const float* x, int64_t n) {
  const int64_t bins = static_cast<int64_t>(counts.size());
  const double w = bin_width();
  for (int64_t i = 0; i < n; ++i) {
    const double a = std::fabs(static_cast<double>(x[i]));
    if (std::isnan(a)) continue;
    int64_t b = w > 0 ? static_cast<int64_t>(a / w) : 0;
    counts[std::clamp<int64_t>(b, 0, bins - 1)] += 1;
  }
}

}  // namespace samq::quant
