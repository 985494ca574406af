// The oneDNN-backed candidates, one registration function per file, combined by
// register_cpu_kernels.cpp into RegisterCpuKernels.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::onednn {

void AddOnednnMatMulKernels(rt::OpRegistry& r);  // onednn_matmul.cpp: onednn.matmul_f32, onednn.gemm_f32
void AddOnednnConvKernels(rt::OpRegistry& r);    // onednn_conv.cpp: onednn.conv_f32, onednn.deconv_f32

}  // namespace samq::backends::onednn
