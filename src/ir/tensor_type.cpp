#include "ir/tensor_type.h"

namespace samq::ir {

std::string TensorType::str() const {
  std::string out(dtype_name(dtype));
  if (!rank_known) return out + "[?]";
  out += '[';
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += 'x';
    out += dims[i] < 0 ? "?" : std::to_string(dims[i]);
  }
  return out + ']';
}

}  // namespace samq::ir
