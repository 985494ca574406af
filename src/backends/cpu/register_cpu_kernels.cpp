// RegisterCpuKernels (backends/registry.h): faster CPU candidates in front of the reference ones.
#include "backends/cpu/onednn_kernels.h"
#include "backends/registry.h"

namespace samq::backends {

void RegisterCpuKernels(rt::OpRegistry& r) {
  onednn::AddOnednnMatMulKernels(r);
  onednn::AddOnednnConvKernels(r);
}

}  // namespace samq::backends
