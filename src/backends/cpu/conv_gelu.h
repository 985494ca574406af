// com.samq ConvGelu(x, w [, b]) = Gelu(Conv(x, w, b)) (ONNX Gelu-20: attribute approximate =
// "none", the erf form and the default, or "tanh", EfficientViT's). passes/fuse_conv_gelu makes it
// from a float32 Conv whose only reader is a com.samq Gelu: the activation then runs while the
// conv's output is still in cache instead of as a second pass over a tensor that can be 64 MiB
// (MobileSAM's MBConv at 256 x 256 x 256). The node carries the Conv's attributes unchanged plus
// the Gelu's `approximate`.
#pragma once

#include <cstdint>

#include "runtime/op_registry.h"

namespace samq::backends {

// ref.ConvGelu: ref.Conv, then GELU in double with libm (the oracle of the fused kernels).
rt::KernelCandidate RefConvGeluCandidate();

// y = 0.5 * y * (1 + erf(y / sqrt(2))) in place, float32, vectorized (fastmath::Erf).
void GeluErfInPlace(float* y, int64_t n);
// GeluErfInPlace, or the tanh form 0.5 * y * (1 + tanh(sqrt(2/pi) * (y + 0.044715 y^3))).
void GeluInPlace(float* y, int64_t n, bool tanh_form);
// Whether a ConvGelu / ConvTransposeGelu node asks for the tanh form.
bool GeluIsTanh(const ir::Node& node);

// The com.samq ConvGelu schema (shape inference of Conv) with its candidates, fastest first:
// fast.DepthwiseConvGelu, onednn.pointwise_conv_gelu_f32, onednn.conv_gelu_f32, ref.ConvGelu. Needs Conv registered first.
void AddConvGeluOp(rt::OpRegistry& r);

// com.samq ConvTransposeGelu(x, w [, b]) = Gelu(ConvTranspose(x, w, b)), same rules (SAM's mask
// upscaler: ConvTranspose 2x2 stride 2 -> GELU): onednn.deconv_gemm_gelu_f32, ref.ConvTransposeGelu.
// Needs ConvTranspose registered first.
rt::KernelCandidate RefConvTransposeGeluCandidate();
void AddConvTransposeGeluOp(rt::OpRegistry& r);

namespace fast {
rt::KernelCandidate FastDepthwiseConvGeluCandidate();  // fast_depthwise_conv.cpp
}  // namespace fast
namespace onednn {
rt::KernelCandidate OnednnPointwiseConvGeluCandidate();  // onednn_pointwise_conv_gelu.cpp
}  // namespace onednn

}  // namespace samq::backends
