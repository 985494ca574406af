#include "backends/cpu/onednn_int8_util.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/quantize_bytes.h"
#include "core/parallel.h"
#include "core/quantize_math.h"

namespace samq::backends::onednn {

bool HasExactInt8Gemm() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
    case dnnl::cpu_isa::avx512_core_amx:
    case dnnl::cpu_isa::avx2_vnni:
      return true;
    default:
      return false;
  }
}

bool ReadQuantParams(const rt::KernelBuildInfo& info, int64_t channels_axis, bool u8_wanted,
                     QuantParams* p, std::string* why, bool codes_ok) {
  auto c = [&](int i) -> const Tensor* {
    return i < static_cast<int>(info.const_inputs.size()) ? info.const_inputs[i] : nullptr;
  };
  const Tensor *xs = c(1), *xz = c(2), *w = c(3), *ws = c(4);
  if (!xs || !xz || !w || !ws) return *why = "quantization parameters or weights are not constant", false;
  if (xs->numel() != 1 || xz->numel() != 1 || xs->dtype() != DType::kFloat32)
    return *why = "activation scale/zero point are not float32/8-bit scalars", false;
  if (xz->dtype() != (u8_wanted ? DType::kUInt8 : DType::kInt8))
    return *why = "activation is " + std::string(dtype_name(xz->dtype())), false;
  const DType x_type = info.input_types[0].dtype;
  p->x_codes = x_type == xz->dtype();
  if (x_type != DType::kFloat32 && !(codes_ok && p->x_codes))
    return *why = "input is " + std::string(dtype_name(x_type)) + ", not float32", false;
  p->requantize = info.node.has_input(7);
  if (p->requantize) {
    const Tensor *ys = c(6), *yz = c(7);
    if (!codes_ok) return *why = "output requantization is QMatMul's only", false;
    if (!ys || !yz || ys->numel() != yz->numel() || ys->dtype() != DType::kFloat32 ||
        (yz->dtype() != DType::kUInt8 && yz->dtype() != DType::kInt8))
      return *why = "output scale/zero point are not constant float32/8-bit values of one size", false;
    p->y_u8 = yz->dtype() == DType::kUInt8;
    auto zero_point = [&](int64_t i) -> int32_t { return p->y_u8 ? yz->data<uint8_t>()[i] : yz->data<int8_t>()[i]; };
    p->y_scale = ys->data<float>()[0];
    p->y_zero_point = zero_point(0);
    p->y_column_scales.clear();
    p->y_column_zero_points.clear();
    if (ys->numel() != 1) {  // per output column (passes/fuse_attention_codes: Q, K and V of one qkv)
      p->y_column_scales.assign(ys->data<float>(), ys->data<float>() + ys->numel());
      for (int64_t i = 0; i < yz->numel(); ++i) p->y_column_zero_points.push_back(static_cast<float>(zero_point(i)));
    }
  }
  if (w->dtype() != DType::kInt8 || ws->dtype() != DType::kFloat32) return *why = "weights are not int8", false;
  const int64_t channels = w->dim(channels_axis);
  if (ws->numel() != 1 && ws->numel() != channels) return *why = "weight scale size", false;
  if (!p->y_column_scales.empty() && static_cast<int64_t>(p->y_column_scales.size()) != channels)
    return *why = "output scale size", false;
  p->u8 = u8_wanted;
  p->x_scale = xs->data<float>()[0];
  p->x_zero_point = u8_wanted ? xz->data<uint8_t>()[0] : xz->data<int8_t>()[0];
  p->weights = *w;
  p->out_scales.clear();
  for (int64_t i = 0; i < ws->numel(); ++i) p->out_scales.push_back(p->x_scale * ws->data<float>()[i]);
  p->bias.clear();
  if (info.node.has_input(5)) {
    const Tensor* b = c(5);
    if (!b || b->dtype() != DType::kFloat32 || b->numel() != channels)
      return *why = "bias is not a constant float32 vector", false;
    p->bias.assign(b->data<float>(), b->data<float>() + channels);
  }
  if (!p->y_column_scales.empty()) {
    // Per-column requantization folds into the output scales and the bias: column c computes
    // acc * (s_x s_w[c] / s_y[c]) + (b[c] / s_y[c] + zp[c]) and oneDNN's conversion rounds (half to
    // even) and saturates. A divide post-op per column cost the qkv projection half its time
    // again; this moves the quotient by float rounding only (about 1 in 10^5 values lands on the
    // neighbouring code, the same order as the float summation order already does).
    p->out_scales.resize(static_cast<size_t>(channels), p->out_scales[0]);
    p->bias.resize(static_cast<size_t>(channels), 0.f);
    for (int64_t c = 0; c < channels; ++c) {
      p->out_scales[c] /= p->y_column_scales[c];
      p->bias[c] = p->bias[c] / p->y_column_scales[c] + p->y_column_zero_points[c];
    }
  }
  PrescaleBias(p);
  return true;
}

void PrescaleBias(QuantParams* p) {
  p->bias_over_scale.clear();
  if (p->bias.empty() || p->out_scales.empty()) return;
  std::vector<float> q(p->bias.size());
  for (size_t c = 0; c < q.size(); ++c) {
    q[c] = p->bias[c] / p->out_scales[p->out_scales.size() == 1 ? 0 : c];
    if (!std::isfinite(q[c])) return;
  }
  p->bias_over_scale = std::move(q);
}

// Built for AVX-512 too (picked at load time): same IEEE arithmetic, identical bits, 16 lanes.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define SAMQ_QUANT_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define SAMQ_QUANT_CLONES
#endif

template <typename Q>
static void QuantizeRange(const float* x, int64_t b, int64_t e, float s, int32_t zp, Q* out) {
  for (int64_t i = b; i < e; ++i) out[i] = QuantizeScalar<Q>(x[i], s, zp);
}

SAMQ_QUANT_CLONES static void QuantizeRangeU8(const float* x, int64_t b, int64_t e, float s, int32_t zp, uint8_t* o) {
  QuantizeRange(x, b, e, s, zp, o);
}
SAMQ_QUANT_CLONES static void QuantizeRangeS8(const float* x, int64_t b, int64_t e, float s, int32_t zp, int8_t* o) {
  QuantizeRange(x, b, e, s, zp, o);
}

void QuantizeSpan(const float* x, int64_t n, float scale, int32_t zero_point, bool u8, void* out) {
  if (cpu::QuantizeBytesAvx512(x, n, scale, zero_point, u8 ? 0 : -128, u8 ? 255 : 127, 0, out)) return;
  if (u8) QuantizeRangeU8(x, 0, n, scale, zero_point, static_cast<uint8_t*>(out));
  else QuantizeRangeS8(x, 0, n, scale, zero_point, static_cast<int8_t*>(out));
}

void QuantizeActivation(const float* x, int64_t n, float scale, int32_t zero_point, bool u8, void* out) {
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    QuantizeSpan(x + b, e - b, scale, zero_point, u8, static_cast<uint8_t*>(out) + b);
  });
}

// QuantizeLinear's codes as floats (in range, integral), for a float transpose before narrowing.
SAMQ_QUANT_CLONES static void QuantizeCodes(const float* x, int64_t n, float s, float zp, float lo, float hi, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = QuantizeToFloat(x[i], s, zp, lo, hi);
}

template <typename Q>
static void NarrowCodes(const float* codes, int64_t n, Q* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<Q>(codes[i]);
}
SAMQ_QUANT_CLONES static void NarrowCodesU8(const float* codes, int64_t n, uint8_t* out) { NarrowCodes(codes, n, out); }
SAMQ_QUANT_CLONES static void NarrowCodesS8(const float* codes, int64_t n, int8_t* out) { NarrowCodes(codes, n, out); }

// Blocks of pixels, each: every channel's run of the block quantized (contiguous reads), the
// [C x P] block of codes transposed to [P x C] in registers (fast::TransposeFloatMatrix), then
// narrowed to bytes with contiguous writes. Writing each channel's codes straight to the NHWC
// output instead stores single bytes C apart across the whole plane: every output cache line is
// fetched once per channel (8 MB 32 times for MobileSAM's second patch-embedding conv).
void QuantizeActivationToNhwc(const float* x, int64_t n, int64_t c, int64_t hw, float scale,
                              int32_t zero_point, bool u8, void* out) {
  if (n * c * hw == 0) return;
  const int64_t block = std::clamp<int64_t>(16384 / c / 16 * 16, 16, 1024);  // pixels; <= 64 KB of codes
  const int64_t blocks = (hw + block - 1) / block;
  const float zp = static_cast<float>(zero_point), lo = u8 ? 0.f : -128.f, hi = u8 ? 255.f : 127.f;
  parallel_for(n * blocks, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> codes(static_cast<size_t>(c * block)), nhwc(static_cast<size_t>(c * block));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t img = t / blocks, p0 = (t % blocks) * block, pixels = std::min(block, hw - p0);
      const float* src = x + img * c * hw + p0;
      for (int64_t ch = 0; ch < c; ++ch) QuantizeCodes(src + ch * hw, pixels, scale, zp, lo, hi, codes.data() + ch * block);
      fast::TransposeFloatMatrix(codes.data(), block, c, pixels, nhwc.data(), c);
      const int64_t at = (img * hw + p0) * c;
      if (u8) NarrowCodesU8(nhwc.data(), pixels * c, static_cast<uint8_t*>(out) + at);
      else NarrowCodesS8(nhwc.data(), pixels * c, static_cast<int8_t*>(out) + at);
    }
  });
}

std::string IsaTag(const std::string& impl) {
  if (impl.find("amx") != std::string::npos) return "amx";
  if (impl.find("vnni") != std::string::npos) return "vnni";
  const auto colon = impl.find(':');
  std::string isa = colon == std::string::npos ? impl : impl.substr(colon + 1);
  for (char& ch : isa)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return isa.empty() ? "unknown" : isa;
}

dnnl::primitive_attr MakeQuantAttr(const QuantParams& p, const dnnl::memory::desc& bias_desc) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(p.out_scales.size() > 1 ? (1 << 1) : 0, p.out_scales);
  if (p.x_zero_point != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  dnnl::post_ops po;
  if (!p.bias.empty() && !NativeBias(p)) po.append_binary(dnnl::algorithm::binary_add, bias_desc);
  // The GELU after the bias, on the float result in registers (QMatMulGelu: MLP fc1 -> GELU).
  if (p.gelu) po.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
  if (p.requantize && p.y_column_scales.empty()) {  // (per column: folded into scales and bias)
    po.append_binary(dnnl::algorithm::binary_div, dnnl::memory::desc({1, 1}, dnnl::memory::data_type::f32,
                                                                     dnnl::memory::dims{1, 1}));
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_round, 0.f, 0.f);
    if (p.y_zero_point != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  }
  if (po.len() > 0) attr.set_post_ops(po);
  return attr;
}

}  // namespace samq::backends::onednn
