// Numeric comparison of tensors for tests, with a readable report of the worst elements.
#pragma once

#include <string>

#include "core/tensor.h"

namespace samq::testing {

struct Diff {
  bool same_shape = false;
  double max_abs = 0, mean_abs = 0;
  int64_t worst_index = -1;
  double worst_expected = 0, worst_actual = 0;
  int64_t nan_mismatch = 0;  // NaN in one and not the other
  std::string str() const;
};

Diff CompareTensors(const Tensor& expected, const Tensor& actual);

// float32 elements whose bits of value differ (a != b), for fusions that must be exact; -1 when
// the shapes differ.
int64_t CountDiffering(const Tensor& a, const Tensor& b);

}  // namespace samq::testing
