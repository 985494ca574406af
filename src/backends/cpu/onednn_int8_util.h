// Shared pieces of the oneDNN integer kernels (onednn_int8_matmul.cpp, onednn_int8_conv.cpp):
// what the QDQ folding pass hands them (activation parameters, int8 weights, scales, bias),
// quantizing a float activation the way QuantizeLinear does, and naming the ISA oneDNN chose.
//
// Arithmetic: y = s_x * s_w[c] * sum((q_x - zp_x) * w) + b[c]. oneDNN computes the int32 sum
// exactly (u8/s8 x s8 -> s32; the source zero point is given to oneDNN as an attribute so the
// compensation is exact integer math too) and applies the per-channel output scale
// s_x * s_w[c] (one float32 product, as the reference's dequantized operands are) and the bias.
// oneDNN 2.x adds its bias argument before the output scales (dst = scale * (acc + bias)), so
// the kernels give it b[c] / scale[c]: a few float roundings from the reference's order (tests
// bound them against the exact value). A binary-add post-op after the scaling would keep the
// order, but costs the brgemm kernels as much as a third of a small-K layer's time (MobileSAM's
// qkv, fc1 and proj: 6.5 of 42 ms); it stays for channels whose scale is zero.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/kernel.h"

namespace samq::backends::onednn {

// The constant parameters of a QMatMul/QConv node (inputs 1..5), or why a kernel cannot use them.
struct QuantParams {
  bool u8 = true;           // activation type: uint8 (true) or int8
  float x_scale = 1.f;
  int32_t x_zero_point = 0;
  Tensor weights;           // int8, as the node has them
  std::vector<float> out_scales;  // s_x * s_w[c], one per output channel (or 1)
  std::vector<float> bias;        // empty when the node has none
  // The bias as oneDNN's bias argument wants it, b[c] / out_scales[c] (see above); empty without
  // a bias, or when a quotient is not finite (a zero scale): then the binary post-op adds `bias`.
  std::vector<float> bias_over_scale;
  bool gelu = false;              // com.samq QMatMulGelu: erf GELU as the last post-op
  // passes/fuse_requantize: x arrives as its 8-bit codes already, and/or the result leaves as
  // QuantizeLinear(y, y_scale, y_zero_point) codes (uint8 when y_u8, else int8).
  bool x_codes = false;
  bool requantize = false;
  float y_scale = 1.f;
  int32_t y_zero_point = 0;
  bool y_u8 = true;
  // Per output column instead (passes/fuse_attention_codes): one scale and zero point each,
  // folded by ReadQuantParams into out_scales and bias (not with a GELU).
  std::vector<float> y_column_scales, y_column_zero_points;
};
// `channels`: the output channels (N of [K,N], M of OIHW); `u8_wanted` picks the candidate.
// `codes_ok`: the op may take 8-bit codes as x and requantize its output (QMatMul); otherwise
// those nodes are declined.
bool ReadQuantParams(const rt::KernelBuildInfo& info, int64_t channels_axis, bool u8_wanted,
                     QuantParams* p, std::string* why, bool codes_ok = false);

// QuantizeLinear of float32 `x` (n values) into uint8/int8 `out` (per-tensor), threads in parallel.
void QuantizeActivation(const float* x, int64_t n, float scale, int32_t zero_point, bool u8, void* out);
// The same on the calling thread (inside a caller's parallel loop).
void QuantizeSpan(const float* x, int64_t n, float scale, int32_t zero_point, bool u8, void* out);
// Same, reading NCHW and writing NHWC (what oneDNN's integer convolutions want).
void QuantizeActivationToNhwc(const float* x, int64_t n, int64_t c, int64_t hw, float scale,
                              int32_t zero_point, bool u8, void* out);

// Whether oneDNN's integer GEMM (gemm_s8s8s32) accumulates exactly here: with VNNI or AMX;
// older AVX-512 sums pairs of products in 16 bits, which can saturate.
bool HasExactInt8Gemm();

// "amx" / "vnni" / the ISA part of an impl_info_str ("brg:avx512_core_amx" -> "amx").
std::string IsaTag(const std::string& impl_info);

// samq's and oneDNN's data type of a quantized activation.
inline DType ActDType(bool u8) { return u8 ? DType::kUInt8 : DType::kInt8; }
inline dnnl::memory::data_type ActType(bool u8) {
  return u8 ? dnnl::memory::data_type::u8 : dnnl::memory::data_type::s8;
}

// Fills p->bias_over_scale from p->bias and p->out_scales (ReadQuantParams does; kernels that
// build their own parameters call it).
void PrescaleBias(QuantParams* p);
// Whether the kernel passes p.bias_over_scale as the primitive's bias argument.
inline bool NativeBias(const QuantParams& p) { return !p.bias_over_scale.empty(); }

// Output scales (per channel when there is more than one), the source zero point, the bias
// as a binary-add post-op with `bias_desc` (only when there is one and NativeBias is false),
// then GELU (erf) when p.gelu;
// when p.requantize: division by y_scale (a binary post-op with a one-value f32 tensor, so the
// quotient is the one QuantizeLinear computes), round half to even, then the destination zero
// point (an integer added to an integer: exact) and saturation by oneDNN's conversion (per
// output column the division is in the output scales instead, see QuantParams).
dnnl::primitive_attr MakeQuantAttr(const QuantParams& p, const dnnl::memory::desc& bias_desc);
// The post-op index of the y_scale divisor (after the bias and the GELU, when there are).
inline int RequantDivisorPostOp(const QuantParams& p) {
  return (p.bias.empty() || NativeBias(p) ? 0 : 1) + (p.gelu ? 1 : 0);
}

}  // namespace samq::backends::onednn
