// The NCHW candidates of com.samq QConv (onednn_int8_conv1x1.cpp, qconv_depthwise_nchw.cpp) and
// the com.samq QConvGelu op built on them (qconv_gelu.cpp). `gelu`: the candidate is for
// QConvGelu and applies the erf GELU (GeluErfInPlace) to each block of output while in cache.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends {

rt::KernelCandidate QConv1x1NchwCandidate(bool gelu);      // onednn.qconv1x1_nchw_x8s8_gemm[_gelu]
rt::KernelCandidate QConvDepthwiseNchwCandidate(bool gelu);  // fast.qconv_dw_x8s8_qdq_f32[_gelu]

// ref.QConvGelu: ref.QConv, then GELU in double with libm (the oracle of the fused kernels).
// ref.QMatMulGelu is in backends/reference/samq_qops.h.
rt::KernelCandidate RefQConvGeluCandidate();

// com.samq QConvGelu(x, s_x, zp_x, W, s_w[, b]) = Gelu(QConv(...)): schema (QConv's shape
// inference) and candidates: the fused NCHW kernels, then every other QConv candidate followed
// by a GELU pass, then ref.QConvGelu. Register after all QConv candidates.
void AddQConvGeluOp(rt::OpRegistry& r);

// com.samq QMatMulGelu(x, s_x, zp_x, W, s_w[, b][, s_y, zp_y]): QMatMul with GELU before the
// optional output quantization (samq_qops.h): schema (QMatMul's inputs and shapes) and
// candidates: the oneDNN integer matmul with a GELU post-op, then ref.QMatMulGelu.
void AddQMatMulGeluOp(rt::OpRegistry& r);

}  // namespace samq::backends
