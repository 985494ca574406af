// The oneDNN-backed candidates, one registration function per file, combined by
// register_cpu_kernels.cpp into RegisterCpuKernels.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::onednn {

void AddOnednnMatMulKernels(rt::OpRegistry& r);  // onednn_matmul.cpp: onednn.matmul_f32, onednn.gemm_f32
void AddOnednnConvKernels(rt::OpRegistry& r);    // onednn_conv.cpp: onednn.conv_f32, onednn.deconv_f32
rt::KernelCandidate OnednnConvGeluCandidate();  // onednn_conv.cpp: com.samq ConvGelu (GELU post-op)
void AddOnednnInt8MatMulKernels(rt::OpRegistry& r);  // onednn_int8_matmul.cpp: onednn.qmatmul_{u8,s8}s8_<isa>
void AddOnednnInt8ConvKernels(rt::OpRegistry& r);  // onednn_int8_conv.cpp: onednn.qconv_{u8,s8}s8_<isa>
// onednn.qconv_{u8,s8}s8_<isa>[_gelu] (onednn_int8_conv.cpp): com.samq QConv, or QConvGelu with
// the GELU applied while each band of output is in cache.
rt::KernelCandidate OnednnQConvCandidate(bool u8, bool gelu);
// onednn_int8_conv1x1.cpp: onednn.qconv1x1_nchw_x8s8_gemm (pointwise QConv in NCHW; add after the above)
void AddOnednnInt8Conv1x1Kernel(rt::OpRegistry& r);
// onednn_int8_matmul.cpp: onednn.qmatmul_{u8,s8}s8_<isa>_gelu, for com.samq QMatMulGelu
rt::KernelCandidate OnednnQMatMulGeluCandidate(bool u8);
// qconv_depthwise_nchw.cpp: fast.qconv_dw_x8s8_qdq_f32 (depthwise QConv as QDQ + fast.DepthwiseConv)
void AddQConvDepthwiseKernel(rt::OpRegistry& r);
void AddOnednnBf16Kernels(rt::OpRegistry& r);  // onednn_bf16_matmul.cpp: onednn.matmul_bf16 (--precision bf16)

}  // namespace samq::backends::onednn
