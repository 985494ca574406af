#include "backends/reference/dtype_visit.h"

#include <cmath>

#include "core/float_convert.h"

namespace samq::backends {

Tensor WidenToFloat32(const Tensor& t) {
  if (t.dtype() == DType::kFloat32) return t;
  Tensor out = Tensor::Zeros(DType::kFloat32, t.shape());
  float* o = out.data<float>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(element_as_double(t.dtype(), t.raw(), i));
  return out;
}

Tensor NarrowFromFloat32(const Tensor& t, DType to) {
  if (to == DType::kFloat32) return t;
  Tensor out = Tensor::Zeros(to, t.shape());
  const float* in = t.data<float>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) element_from_double(to, out.raw(), i, in[i]);
  return out;
}

uint8_t FloatToFp8(DType to, float f, bool saturate) {
  if (to == DType::kFloat8E5M2) return float_to_fp8e5m2(f, saturate);
  if (!saturate && std::fabs(f) <= 464.0f) saturate = true;  // rounds to at most 448: finite
  return float_to_fp8e4m3fn(f, saturate);
}

}  // namespace samq::backends
