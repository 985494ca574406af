#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace samq::eval {

Overlap MaskOverlap(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  Overlap o;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const bool in_a = a[i] != 0, in_b = b[i] != 0;
    o.area_a += in_a;
    o.area_b += in_b;
    o.intersection += in_a && in_b;
    o.union_ += in_a || in_b;
  }
  return o;
}

double MaskIoU(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  const Overlap o = MaskOverlap(a, b);
  if (o.union_ == 0) return 1.0;  // both empty: documented convention
  return static_cast<double>(o.intersection) / static_cast<double>(o.union_);
}

double Mean(std::span<const double> values) {
  if (values.empty()) return 0;
  double s = 0;
  for (double v : values) s += v;
  return s / static_cast<double>(values.size());
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double CosineSimilarity(std::span<const float> a, std::span<const float> b) {
  double dot = 0, na = 0, nb = 0;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 && nb == 0) return 1.0;
  if (na == 0 || nb == 0) return 0.0;
  // sqrt(na * nb) rather than sqrt(na) * sqrt(nb): for identical inputs dot == na == nb and
  // sqrt(x * x) == x exactly in IEEE arithmetic, so the cosine is exactly 1.
  return dot / std::sqrt(na * nb);
}

double SqnrDb(std::span<const float> reference, std::span<const float> candidate) {
  double signal = 0, noise = 0;
  const size_t n = std::min(reference.size(), candidate.size());
  for (size_t i = 0; i < n; ++i) {
    const double r = reference[i], d = r - static_cast<double>(candidate[i]);
    signal += r * r;
    noise += d * d;
  }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

Similarity CompareArrays(std::span<const float> reference, std::span<const float> candidate) {
  Similarity s;
  s.cosine = CosineSimilarity(reference, candidate);
  s.sqnr_db = SqnrDb(reference, candidate);
  const size_t n = std::min(reference.size(), candidate.size());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = std::fabs(static_cast<double>(reference[i]) - candidate[i]);
    s.max_abs_error = std::max(s.max_abs_error, e);
    sum += e;
  }
  s.mean_abs_error = n ? sum / static_cast<double>(n) : 0;
  return s;
}

Result<Similarity> CompareTensors(const Tensor& reference, const Tensor& candidate) {
  if (reference.dtype() != DType::kFloat32 || candidate.dtype() != DType::kFloat32)
    return Status::User("embedding comparison needs float32 tensors");
  if (reference.shape() != candidate.shape())
    return Status::UserF("embedding shapes differ: reference {} vs candidate {}", shape_str(reference.shape()),
                         shape_str(candidate.shape()));
  return CompareArrays(reference.values<float>(), candidate.values<float>());
}

}  // namespace samq::eval
