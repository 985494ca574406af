// RegisterCpuKernels (backends/registry.h): faster CPU candidates in front of the reference ones.
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/resize_bilinear.h"
#include "backends/registry.h"

namespace samq::backends {

void RegisterCpuKernels(rt::OpRegistry& r) {
  onednn::AddOnednnMatMulKernels(r);
  onednn::AddOnednnConvKernels(r);
  onednn::AddOnednnInt8MatMulKernels(r);
  onednn::AddOnednnInt8ConvKernels(r);
  // After the float32 MatMul candidates, so it is tried first; declines unless the session
  // asks for bfloat16.
  onednn::AddOnednnBf16Kernels(r);
  cpu::AddFastResizeKernel(r);
  fast::AddFastElementwiseKernels(r);
  fast::AddFastNormKernels(r);
  fast::AddFastPoolKernels(r);
  fast::AddFastGeluKernels(r);  // also registers the com.samq Gelu schema (passes/fuse_gelu)
}

}  // namespace samq::backends
