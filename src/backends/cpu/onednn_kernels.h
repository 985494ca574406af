// The oneDNN-backed candidates, one registration function per file, combined by
// register_cpu_kernels.cpp into RegisterCpuKernels.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::onednn {

void AddOnednnMatMulKernels(rt::OpRegistry& r);  // onednn_matmul.cpp: onednn.matmul_f32, onednn.gemm_f32
void AddOnednnConvKernels(rt::OpRegistry& r);    // onednn_conv.cpp: onednn.conv_f32, onednn.deconv_f32
void AddOnednnInt8MatMulKernels(rt::OpRegistry& r);  // onednn_int8_matmul.cpp: onednn.qmatmul_{u8,s8}s8_<isa>
void AddOnednnInt8ConvKernels(rt::OpRegistry& r);
void AddOnednnBf16Kernels(rt::OpRegistry& r);  // onednn_bf16_matmul.cpp: onednn.matmul_bf16 (--precision bf16)    // onednn_int8_conv.cpp: onednn.qconv_{u8,s8}s8_<isa>

}  // namespace samq::backends::onednn
