#include "backends/registry.h"

namespace samq::backends {

const rt::OpRegistry& DefaultRegistry() {
  static const rt::OpRegistry registry = [] {
    rt::OpRegistry r;
    RegisterElementwiseOps(r);
    RegisterReductionOps(r);
    RegisterShapeOps(r);
    RegisterResizeOps(r);
    RegisterLinalgOps(r);
    RegisterNnOps(r);
    RegisterQuantOps(r);
    RegisterSamqQuantOps(r);
    RegisterCpuKernels(r);
    return r;
  }();
  return registry;
}

}  // namespace samq::backends
