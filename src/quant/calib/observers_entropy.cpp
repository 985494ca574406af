// Entropy (KL-divergence) calibration, as TensorRT's legacy INT8 calibrator and MXNet do it:
// for every candidate threshold of i bins (i = num_quant_bins .. 2048) the reference
// distribution P is the first i bins with everything beyond folded into bin i-1; the candidate
// Q merges those i bins into num_quant_bins groups and spreads each group's mass evenly over its
// non-empty bins. Both are smoothed (zeros get eps, taken from the non-zeros) so that the
// divergence stays finite. The threshold is the upper edge of the best i.
#include <cmath>
#include <limits>
#include <numeric>

#include "quant/calib/observers.h"

namespace samq::quant {
namespace {

constexpr double kSmoothEps = 1e-4;

// MXNet's _smooth_distribution: false when every entry is zero (the candidate is skipped).
bool Smooth(std::vector<double>& p) {
  int64_t zeros = 0;
  for (double v : p) zeros += v == 0;
  const int64_t nonzeros = static_cast<int64_t>(p.size()) - zeros;
  if (nonzeros == 0) return false;
  const double eps1 = kSmoothEps * static_cast<double>(zeros) / static_cast<double>(nonzeros);
  for (double& v : p) v += v == 0 ? kSmoothEps : -eps1;
  return true;
}

double Kl(std::vector<double> p, std::vector<double> q) {
  double sp = std::accumulate(p.begin(), p.end(), 0.0), sq = std::accumulate(q.begin(), q.end(), 0.0);
  if (sp <= 0 || sq <= 0) return std::numeric_limits<double>::infinity();
  for (double& v : p) v /= sp;
  for (double& v : q) v /= sq;
  if (!Smooth(p) || !Smooth(q)) return std::numeric_limits<double>::infinity();
  double kl = 0;
  for (size_t k = 0; k < p.size(); ++k)
    if (p[k] > 0 && q[k] > 0) kl += p[k] * std::log(p[k] / q[k]);
  return kl;
}

}  // namespace

double EntropyThreshold(const AbsHistogram& h, int num_quant_bins) {
  const int bins = static_cast<int>(h.counts.size());
  const double total = std::accumulate(h.counts.begin(), h.counts.end(), 0.0);
  if (total <= 0 || h.range <= 0) return 0.0;
  if (num_quant_bins >= bins) return h.range;
  // Suffix sums: the outlier mass beyond bin i-1.
  std::vector<double> beyond(bins + 1, 0.0);
  for (int b = bins - 1; b >= 0; --b) beyond[b] = beyond[b + 1] + h.counts[b];

  double best_kl = std::numeric_limits<double>::infinity();
  int best_i = bins;
  for (int i = num_quant_bins; i <= bins; ++i) {
    std::vector<double> p(h.counts.begin(), h.counts.begin() + i);
    p[i - 1] += beyond[i];
    std::vector<double> q(i, 0.0);
    const int merged = i / num_quant_bins;
    for (int j = 0; j < num_quant_bins; ++j) {
      const int start = j * merged, stop = j == num_quant_bins - 1 ? i : start + merged;
      double mass = 0;
      int nonempty = 0;
      for (int k = start; k < stop; ++k) {
        mass += h.counts[k];
        nonempty += h.counts[k] != 0;
      }
      if (nonempty == 0) continue;
      for (int k = start; k < stop; ++k)
        if (h.counts[k] != 0) q[k] = mass / nonempty;
    }
    const double kl = Kl(std::move(p), std::move(q));
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return best_i * h.bin_width();
}

}  // namespace samq::quant
