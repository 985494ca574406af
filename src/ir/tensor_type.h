// What is known about a value before (or while) running: its dtype and dims, -1 where unknown.
#pragma once

#include <string>

#include "core/tensor.h"

namespace samq::ir {

struct TensorType {
  DType dtype = DType::kUndefined;
  bool rank_known = false;
  Shape dims;  // -1 = unknown dim

  static TensorType Of(const Tensor& t) { return {t.dtype(), true, t.shape()}; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  bool fully_known() const {
    if (!rank_known) return false;
    for (int64_t d : dims)
      if (d < 0) return false;
    return true;
  }
  std::string str() const;  // "float32[1x3x?x?]"
};

}  // namespace samq::ir
