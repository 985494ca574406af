// com.samq QConv for depthwise convolutions (group = C = M, one input channel per group), in the
// graph's NCHW layout, as the reference composition itself run on fast kernels:
//   QuantDequant(x) -> float depthwise Conv with the dequantized weights W * s_w[c] (+ b).
//
// Why not oneDNN's integer convolution: it runs channels-last only, so every depthwise QConv
// paid a strided NCHW -> NHWC quantize and a float NHWC -> NCHW reorder around a stencil with
// only K*K multiply-adds per output; on MobileSAM's stage-0 MBConv (256 channels x 256 x 256)
// those passes made the int8 depthwise conv twice as slow as the float one. A depthwise stencil
// gains little from 8-bit arithmetic, so this kernel keeps the float stencil (fast.DepthwiseConv,
// which works on NCHW directly) with a vectorized quantize-dequantize of each input plane as its
// prologue (into a per-thread plane buffer, so the quantized input is never written as a tensor).
//
// Arithmetic: exactly ref.QConv's (QuantizeLinear with round half to even and saturation, then
// DequantizeLinear, and float weights dequantized once with the same formula); only the float
// summation order of the stencil differs. For QConvGelu the float stencil is fast.DepthwiseConvGelu.
#include <algorithm>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/cpu/qconv_kernels.h"
#include "backends/reference/samq_qops.h"
#include "backends/registry.h"
#include "core/parallel.h"
#include "core/quantize_math.h"

namespace samq::backends::onednn {
namespace {

constexpr const char* kFloatDepthwise = "fast.DepthwiseConv";  // in messages

// (clamp(rint(x / s) + zp) - zp) * s: QuantizeLinear then DequantizeLinear.
SAMQ_CLONES void QuantDequantSpan(const float* x, int64_t n, float s, float zp, float lo, float hi, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = (QuantizeToFloat(x[i], s, zp, lo, hi) - zp) * s;
}

class QConvDepthwiseKernel final : public rt::Kernel {
 public:
  QConvDepthwiseKernel(ir::Node float_node, std::unique_ptr<rt::Kernel> conv, std::unique_ptr<rt::Kernel> fallback,
                       const Tensor& weights, Tensor float_weights, Tensor bias)
      : float_node_(std::move(float_node)), conv_(std::move(conv)), fallback_(std::move(fallback)),
        weights_(weights), wf_(std::move(float_weights)), bias_(std::move(bias)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    // What the float kernel takes (anything else would be an error there, see PlanePrologue).
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.dim(1) != wf_.dim(0) ||
        ctx.input(3).raw() != weights_.raw())
      return fallback_->Run(ctx);
    std::vector<const Tensor*> ins{&x, &wf_};
    if (bias_.defined()) ins.push_back(&bias_);
    // The float kernel writes straight into this node's output.
    rt::KernelContext inner(float_node_, ctx.opset(), std::move(ins), {ctx.output_type(0)},
                            [&ctx](DType, const Shape&, bool zero_fill) {
                              return zero_fill ? ctx.output(0) : ctx.output_for_overwrite(0);
                            });
    SAMQ_RETURN_IF_ERROR(conv_->Run(inner));
    ctx.set_output(0, inner.outputs()[0]);
    return Status::Ok();
  }

 private:
  ir::Node float_node_;
  std::unique_ptr<rt::Kernel> conv_, fallback_;
  Tensor weights_;  // the node's int8 weights, to notice them being overridden at run time
  Tensor wf_, bias_;
};

std::unique_ptr<rt::Kernel> Make(const rt::KernelBuildInfo& info, std::string* why, bool gelu) {
  auto c = [&](int i) -> const Tensor* {
    return i < static_cast<int>(info.const_inputs.size()) ? info.const_inputs[i] : nullptr;
  };
  const ir::Node& n = info.node;
  const Tensor *xs = c(1), *xz = c(2), *w = c(3), *ws = c(4);
  if (info.input_types[0].dtype != DType::kFloat32) return Decline(why, "input is not float32");
  if (!xs || !xz || !w || !ws) return Decline(why, "quantization parameters or weights are not constant");
  if (xs->numel() != 1 || xz->numel() != 1 || xs->dtype() != DType::kFloat32 ||
      (xz->dtype() != DType::kUInt8 && xz->dtype() != DType::kInt8))
    return Decline(why, "activation scale/zero point are not float32/8-bit scalars");
  if (w->dtype() != DType::kInt8 || w->rank() != 4 || ws->dtype() != DType::kFloat32)
    return Decline(why, "weights are not 4-D int8");
  const int64_t channels = w->dim(0);
  if (n.attr_int("group", 1) != channels || channels <= 1 || w->dim(1) != 1)
    return Decline(why, "not depthwise (group = C = M)");
  if (ws->numel() != 1 && ws->numel() != channels) return Decline(why, "weight scale size");
  const Tensor* b = n.has_input(5) ? c(5) : nullptr;
  if (n.has_input(5) && (!b || b->dtype() != DType::kFloat32 || b->numel() != channels))
    return Decline(why, "bias is not a constant float32 vector");

  // The weights dequantized once, as ref.QConv does on every run.
  Tensor wf = Tensor::Zeros(DType::kFloat32, w->shape());
  const int64_t per_channel = w->numel() / channels;
  for (int64_t i = 0; i < w->numel(); ++i)
    wf.data<float>()[i] = DequantizeScalar(w->data<int8_t>()[i], ws->data<float>()[ws->numel() == 1 ? 0 : i / per_channel], 0);

  // The float Conv this node is, built by the fast float depthwise candidate.
  ir::Node conv = n;
  conv.op_type = "Conv";
  conv.domain.clear();
  conv.inputs = {n.inputs[0], n.inputs[3]};
  if (b) conv.inputs.push_back(n.inputs[5]);
  std::vector<rt::TensorType> types = {info.input_types[0], rt::TensorType::Of(wf)};
  std::vector<const Tensor*> consts = {nullptr, &wf};
  if (b) {
    types.push_back(rt::TensorType::Of(*b));
    consts.push_back(b);
  }
  const bool u8 = xz->dtype() == DType::kUInt8;
  const float scale = xs->data<float>()[0], zp = u8 ? xz->data<uint8_t>()[0] : xz->data<int8_t>()[0];
  const float lo = u8 ? 0.f : -128.f, hi = u8 ? 255.f : 127.f;
  fast::PlanePrologue quant_dequant = [scale, zp, lo, hi](const float* src, int64_t n, float* dst) {
    QuantDequantSpan(src, n, scale, zp, lo, hi, dst);
  };
  if (gelu) {  // the float stencil with its GELU applied plane by plane
    conv.op_type = "ConvGelu";
    conv.domain = "com.samq";
  }
  rt::KernelBuildInfo conv_info{conv, info.opset, types, consts, info.precision};
  std::string conv_why;
  std::unique_ptr<rt::Kernel> kernel = fast::MakeDepthwiseConvWithPrologue(conv_info, &conv_why, gelu, quant_dequant);
  if (!kernel) return Decline(why, std::string(kFloatDepthwise) + " declines: " + conv_why);

  std::string fallback_why;
  auto fallback = (gelu ? RefQConvGeluCandidate() : RefQConvCandidate()).make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  return std::make_unique<QConvDepthwiseKernel>(std::move(conv), std::move(kernel), std::move(fallback), *w,
                                                std::move(wf), b ? *b : Tensor());
}

}  // namespace
}  // namespace samq::backends::onednn

namespace samq::backends {

rt::KernelCandidate QConvDepthwiseNchwCandidate(bool gelu) {
  return {gelu ? "fast.qconv_dw_x8s8_qdq_f32_gelu" : "fast.qconv_dw_x8s8_qdq_f32",
          [gelu](const rt::KernelBuildInfo& info, std::string* why) { return onednn::Make(info, why, gelu); }};
}

void onednn::AddQConvDepthwiseKernel(rt::OpRegistry& r) {
  r.AddFastKernel("com.samq", "QConv", QConvDepthwiseNchwCandidate(false));
}

}  // namespace samq::backends
