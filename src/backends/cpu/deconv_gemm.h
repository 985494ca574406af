// onednn.deconv_gemm_f32: float32 2-D ConvTranspose whose kernel equals its stride (no padding,
// dilation 1, one group, no output_padding / output_shape) — SAM's mask-decoder upscalers
// (2x2, stride 2). Such windows never overlap: every output pixel is one input pixel times one
// kernel tap, so the op is one GEMM, P[co, dy, dx][pixel] = sum_ci W[ci, co, dy, dx] * X[ci, pixel]
// (X in NCHW already is [ci][pixel]), followed by an interleaving copy of P into NCHW with the
// bias added. oneDNN's own deconvolution on plain NCHW runs several times slower on these shapes.
// Registered in front of onednn.deconv_f32; anything else declines to it.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::onednn {

void AddDeconvGemmKernel(rt::OpRegistry& r);
// The same kernel for com.samq ConvTransposeGelu: GELU applied to each output row as it is
// written (backends/cpu/conv_gelu.h).
rt::KernelCandidate DeconvGemmGeluCandidate();

}  // namespace samq::backends::onednn
