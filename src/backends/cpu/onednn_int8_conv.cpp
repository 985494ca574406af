// oneDNN integer kernel of com.samq QConv (2-D): x(float, NCHW) -> QuantizeLinear straight into
// NHWC u8/s8 (the layout oneDNN's integer convolutions run in; the quantize pass does the
// transpose for free) -> the integer convolution of onednn_int8_conv_nhwc.h -> float32 NHWC ->
// transposed to the graph's NCHW in cache-sized bands of pixels (with the erf GELU applied to each
// band while it is in cache, for com.samq QConvGelu: one pass over the output instead of a reorder
// and then a GELU pass over a tensor that can be 32 MiB, as TinyViT's first patch-embedding conv
// at 512 x 512 x 32).
#include <vector>

#include "backends/cpu/onednn_int8_conv_nhwc.h"
#include "backends/cpu/onednn_int8_util.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/samq_qops.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

class QConvKernel final : public rt::Kernel {
 public:
  QConvKernel(std::unique_ptr<rt::Kernel> fallback, const ir::Node& node, QuantParams p, bool gelu)
      : fallback_(std::move(fallback)), conv_(node, std::move(p)), gelu_(gelu) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.numel() == 0 ||
        shape_numel(ctx.output_type(0).dims) == 0 || ctx.input(3).raw() != conv_.params().weights.raw())
      return fallback_->Run(ctx);
    std::lock_guard<std::mutex> lock(conv_.mutex());
    if (!conv_.Supports(x.shape())) return fallback_->Run(ctx);
    const QuantParams& p = conv_.params();
    const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
    src_.resize(static_cast<size_t>(x.numel()));
    QuantizeActivationToNhwc(x.data<float>(), n, c, hw, p.x_scale, p.x_zero_point, p.u8, src_.data());
    Tensor& y = ctx.output_for_overwrite(0);
    dst_.resize(static_cast<size_t>(y.numel()));
    conv_.Run(x.shape(), src_.data(), dst_.data());
    NhwcToNchw(dst_.data(), y.dim(0), y.dim(2) * y.dim(3), y.dim(1), gelu_, y.data<float>());
    return Status::Ok();
  }

 private:
  std::unique_ptr<rt::Kernel> fallback_;
  Int8ConvNhwc conv_;
  bool gelu_;
  std::vector<uint8_t> src_;  // quantized NHWC input
  std::vector<float> dst_;    // NHWC float output before the reorder
};

std::string ProbeIsa(bool u8) {
  try {
    QuantParams p;
    p.u8 = u8;
    p.x_zero_point = 3;
    p.out_scales.assign(64, 0.5f);
    p.bias.assign(64, 0.f);
    const memory::desc src({1, 64, 32, 32}, ActType(u8), tag::nhwc);
    const memory::desc dst({1, 64, 32, 32}, memory::data_type::f32, tag::nhwc);
    const memory::desc bias({1, 64, 1, 1}, memory::data_type::f32, tag::nchw);
    dnnl::convolution_forward::primitive_desc pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        src, memory::desc({64, 64, 3, 3}, memory::data_type::s8, tag::any), dst,
                                        {1, 1}, {0, 0}, {1, 1}, {1, 1}),
        MakeQuantAttr(p, bias), Engine());
    return IsaTag(pd.impl_info_str());
  } catch (const dnnl::error&) {
    return "unavailable";
  }
}

}  // namespace

rt::KernelCandidate OnednnQConvCandidate(bool u8, bool gelu) {
  const std::string name =
      std::string("onednn.qconv_") + (u8 ? "u8s8_" : "s8s8_") + ProbeIsa(u8) + (gelu ? "_gelu" : "");
  return {name, [u8, gelu](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            QuantParams p;
            if (!ReadQuantParams(info, 0, u8, &p, why)) return nullptr;
            if (p.weights.rank() != 4) return Decline(why, "not a 2-D convolution");
            std::string fallback_why;
            auto fallback = RefQConvCandidate().make(info, &fallback_why);
            if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
            return std::make_unique<QConvKernel>(std::move(fallback), info.node, std::move(p), gelu);
          }};
}

void AddOnednnInt8ConvKernels(rt::OpRegistry& r) {
  r.AddFastKernel("com.samq", "QConv", OnednnQConvCandidate(false, false));
  r.AddFastKernel("com.samq", "QConv", OnednnQConvCandidate(true, false));
}

}  // namespace samq::backends::onednn
