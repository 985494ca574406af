// Percentile and MSE clip searches on the |x| histogram.
#include <cmath>
#include <limits>
#include <numeric>

#include "quant/calib/observers.h"

namespace samq::quant {

double PercentileThreshold(const AbsHistogram& h, double percentile) {
  const double total = std::accumulate(h.counts.begin(), h.counts.end(), 0.0);
  if (total <= 0 || h.range <= 0) return 0.0;
  const double target = percentile / 100.0 * total;
  double cum = 0;
  for (size_t b = 0; b < h.counts.size(); ++b) {
    cum += h.counts[b];
    if (cum >= target) return static_cast<double>(b + 1) * h.bin_width();
  }
  return h.range;
}

// Each bin stands for its center value; the error of threshold t is the squared difference
// between that value and its symmetric fake quantization with scale t / qmax (values beyond t
// saturate), weighted by the bin's count. Candidates are the bins' upper edges.
double MseThreshold(const AbsHistogram& h, int qmax) {
  const double total = std::accumulate(h.counts.begin(), h.counts.end(), 0.0);
  if (total <= 0 || h.range <= 0) return 0.0;
  const int bins = static_cast<int>(h.counts.size());
  const double w = h.bin_width();
  double best_err = std::numeric_limits<double>::infinity();
  int best_i = bins;
  for (int i = 1; i <= bins; ++i) {
    const double scale = i * w / qmax;
    double err = 0;
    for (int b = 0; b < bins; ++b) {
      if (h.counts[b] == 0) continue;
      const double x = (b + 0.5) * w;
      const double q = std::min(std::nearbyint(x / scale), static_cast<double>(qmax));
      const double d = x - q * scale;
      err += h.counts[b] * d * d;
    }
    if (err < best_err) {
      best_err = err;
      best_i = i;
    }
  }
  return best_i * w;
}

}  // namespace samq::quant
