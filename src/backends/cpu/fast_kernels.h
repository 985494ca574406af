// samq's own fast float32 CPU candidates ("fast.<Op>"), registered by register_cpu_kernels.cpp in
// front of the reference kernels. Each declines (with the reason `samq inspect --kernels` shows)
// anything but the float32 cases it was written for; the reference kernel then runs.
//
// ISA: the hot loops are compiled twice with GCC target_clones (an AVX-512 clone and the
// baseline x86-64 one); the loader picks the clone the CPU supports, so the binary still runs on
// any x86-64 machine and nothing is built with -march=native.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "runtime/op_registry.h"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define SAMQ_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define SAMQ_CLONES
#endif

namespace samq::backends::fast {

void AddFastElementwiseKernels(rt::OpRegistry& r);  // fast_elementwise.cpp: Add Sub Mul Div, Erf Tanh Relu Sigmoid
void AddFastNormKernels(rt::OpRegistry& r);         // fast_norm.cpp: Softmax (last axis), LayerNormalization
void AddFastPoolKernels(rt::OpRegistry& r);         // fast_pool.cpp: MaxPool (2-D, no padding)
void AddFastGeluKernels(rt::OpRegistry& r);         // fast_gelu.cpp: com.samq Gelu (from passes/fuse_gelu)
void AddFastDepthwiseConvKernel(rt::OpRegistry& r);  // fast_depthwise_conv.cpp: Conv, depthwise KxK (NCHW)
void AddFastEinsumKernels(rt::OpRegistry& r);       // fast_einsum.cpp: two-operand float32 Einsum as batched GEMM
// Data movement, every dtype (these only move bytes, so they are not float32-only):
void AddFastTransposeKernel(rt::OpRegistry& r);     // fast_transpose.cpp: Transpose (views, row copies, 16x16 tiles)
void AddFastSplitSliceKernels(rt::OpRegistry& r);   // fast_split_slice.cpp: Split, Slice (views, row copies)
void AddFastPadKernel(rt::OpRegistry& r);           // fast_pad.cpp: Pad, mode constant
void AddFastIdentityViewKernels(rt::OpRegistry& r); // fast_identity_views.cpp: Expand/Concat that copy nothing

// Softmax over each of `rows` contiguous rows of n floats (y may be x): the max-subtracted form of
// fast.Softmax, also used inside fused kernels. fast_norm.cpp.
void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t n);

// fast.DepthwiseConv (gelu: fast.DepthwiseConvGelu) whose every input plane first goes through
// `prologue(src, n, dst)` into a per-thread plane buffer, while the plane is in cache: the int8
// depthwise QConv's quantize-dequantize (qconv_depthwise_nchw.cpp) without a pass over the whole
// tensor. A run-time input the kernel cannot take is an error (the reference fallback would skip
// the prologue). fast_depthwise_conv.cpp.
using PlanePrologue = std::function<void(const float* src, int64_t n, float* dst)>;
std::unique_ptr<rt::Kernel> MakeDepthwiseConvWithPrologue(const rt::KernelBuildInfo& info, std::string* why,
                                                          bool gelu, PlanePrologue prologue);

// One output plane of a float32 depthwise conv with a K x K kernel and stride S (both compile-time
// in the function picked): out[oh][ow] = bias + sum w[ki][kj] * in[oh*S - pad_top + ki][ow*S -
// pad_left + kj] over an H x W plane (rows W floats apart), taps outside it reading zero (`zeros`:
// at least W zeros). PickDepthwisePlane gives null for K outside {3, 5, 7} or S outside {1, 2}.
// fast_depthwise_conv.cpp (also the row band kernel of fast_mbconv.cpp).
using DepthwisePlaneFn = void (*)(const float* in, int64_t H, int64_t W, const float* w, float bias,
                                  int64_t pad_top, int64_t pad_left, const float* zeros, float* out,
                                  int64_t OH, int64_t OW);
DepthwisePlaneFn PickDepthwisePlane(int64_t k, int64_t s);

// dst[c * ldd + j] = src[j * lds + c] for j < rows, c < cols, on the calling thread: 16 x 16 tiles
// transposed in AVX-512 registers where the CPU has them and both sides reach 16, else the same
// tiling with a scalar loop. fast_transpose.cpp (also fast.Attention's K^T packing).
void TransposeFloatMatrix(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd);

}  // namespace samq::backends::fast
