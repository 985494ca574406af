#include "support/compare.h"

#include <cmath>

#include <fmt/format.h>

namespace samq::testing {

std::string Diff::str() const {
  if (!same_shape) return "shapes differ";
  return fmt::format("max abs {:.3g} (at {}: expected {:.6g}, got {:.6g}), mean abs {:.3g}{}",
                     max_abs, worst_index, worst_expected, worst_actual, mean_abs,
                     nan_mismatch ? fmt::format(", {} NaN mismatches", nan_mismatch) : "");
}

Diff CompareTensors(const Tensor& expected, const Tensor& actual) {
  Diff d;
  d.same_shape = expected.shape() == actual.shape();
  if (!d.same_shape) return d;
  auto e = expected.AsDoubleVector(), a = actual.AsDoubleVector();
  double sum = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    if (std::isnan(e[i]) || std::isnan(a[i])) {
      if (std::isnan(e[i]) != std::isnan(a[i])) ++d.nan_mismatch;
      continue;
    }
    double diff = std::fabs(e[i] - a[i]);
    if (e[i] == a[i]) diff = 0;  // equal infinities
    sum += diff;
    if (diff > d.max_abs || d.worst_index < 0) {
      if (diff > d.max_abs) d.max_abs = diff;
      d.worst_index = static_cast<int64_t>(i);
      d.worst_expected = e[i];
      d.worst_actual = a[i];
    }
  }
  d.mean_abs = e.empty() ? 0 : sum / static_cast<double>(e.size());
  return d;
}

int64_t CountDiffering(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return -1;
  int64_t n = 0;
  for (int64_t i = 0; i < a.numel(); ++i) n += a.data<float>()[i] != b.data<float>()[i];
  return n;
}

}  // namespace samq::testing
