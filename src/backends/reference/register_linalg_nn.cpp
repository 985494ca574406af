// The RegisterLinalgOps / RegisterNnOps entry points of backends/registry.h.
#include "backends/reference/linalg_nn_families.h"
#include "backends/registry.h"

namespace samq::backends {

void RegisterLinalgOps(rt::OpRegistry& r) {
  RegisterMatMulOps(r);
  RegisterGemmOps(r);
  RegisterEinsumOps(r);
}

void RegisterNnOps(rt::OpRegistry& r) {
  RegisterConvOps(r);
  RegisterConvTransposeOps(r);
  RegisterPoolOps(r);
  RegisterNormOps(r);
}

}  // namespace samq::backends
