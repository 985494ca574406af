// Entry points of backends/registry.h for the families implemented in this folder's
// elementwise / reduction files (QuantizeLinear's entry point lives in quant.cpp).
#include "backends/reference/reference_families.h"
#include "backends/registry.h"

namespace samq::backends {

void RegisterElementwiseOps(rt::OpRegistry& r) {
  RegisterUnaryOps(r);
  RegisterBinaryOps(r);
  RegisterElementwiseMiscOps(r);
  RegisterCastOps(r);
}

void RegisterReductionOps(rt::OpRegistry& r) {
  RegisterReduceOps(r);
  RegisterSoftmaxOps(r);
  RegisterLayerNormOps(r);
}

}  // namespace samq::backends
