// onednn.qconv_pair: com.samq QConvPair (qconv_pair.h) as two oneDNN integer convolutions on NHWC
// codes (onednn_int8_conv_nhwc.h) with the hand-over in NHWC:
//
//   X (NCHW float) -> QuantizeLinear into NHWC codes -> conv 1 -> float NHWC
//     -> [GELU] and QuantizeLinear with the second conv's (s2, zp2), in one pass, into NHWC codes
//     -> conv 2 -> float NHWC -> NCHW [with GELU], in bands (NhwcToNchw)
//
// The unfused kernels (onednn.qconv[_gelu], twice) compute each value with the same operations:
// the GELU of gelu_rows.h and the exact QuantizeLinear, so the fused node gives the same bits.
// It saves the first conv's NCHW transpose and the second's quantize-and-transpose back.
#include <mutex>
#include <vector>

#include "backends/cpu/gelu_rows.h"
#include "backends/cpu/onednn_int8_conv_nhwc.h"
#include "backends/cpu/qconv_pair.h"
#include "backends/reference/conv_geometry.h"
#include "core/parallel.h"

namespace samq::backends::onednn {
namespace {

class QConvPairKernel final : public rt::Kernel {
 public:
  QConvPairKernel(std::unique_ptr<rt::Kernel> fallback, const std::array<ir::Node, 2>& nodes, QuantParams first,
                  QuantParams second, bool first_gelu, bool second_gelu)
      : fallback_(std::move(fallback)), first_node_(nodes[0]), first_(nodes[0], std::move(first)),
        second_(nodes[1], std::move(second)), first_gelu_(first_gelu), second_gelu_(second_gelu) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.numel() == 0 ||
        shape_numel(ctx.output_type(0).dims) == 0 || ctx.input(3).raw() != first_.params().weights.raw() ||
        ctx.input(kQConvPairSecondScale + 2).raw() != second_.params().weights.raw())
      return fallback_->Run(ctx);
    auto mid = MakeConvProblem(first_node_, x.shape(), first_.params().weights.shape(), false);
    if (!mid.ok() || shape_numel(mid->out_shape) == 0) return fallback_->Run(ctx);
    const Shape& y1 = mid->out_shape;
    std::scoped_lock lock(first_.mutex(), second_.mutex());
    if (!first_.Supports(x.shape()) || !second_.Supports(y1)) return fallback_->Run(ctx);

    const QuantParams& p1 = first_.params();
    src_.resize(static_cast<size_t>(x.numel()));
    QuantizeActivationToNhwc(x.data<float>(), x.dim(0), x.dim(1), x.dim(2) * x.dim(3), p1.x_scale, p1.x_zero_point,
                             p1.u8, src_.data());
    mid_.resize(static_cast<size_t>(shape_numel(y1)));
    first_.Run(x.shape(), src_.data(), mid_.data());
    codes_.resize(mid_.size());
    HandOver(mid_.data(), static_cast<int64_t>(mid_.size()), codes_.data());
    Tensor& y = ctx.output_for_overwrite(0);
    dst_.resize(static_cast<size_t>(y.numel()));
    second_.Run(y1, codes_.data(), dst_.data());
    NhwcToNchw(dst_.data(), y.dim(0), y.dim(2) * y.dim(3), y.dim(1), second_gelu_, y.data<float>());
    return Status::Ok();
  }

 private:
  // [GELU and] QuantizeLinear with the second conv's activation parameters, NHWC to NHWC.
  void HandOver(const float* y1, int64_t n, uint8_t* codes) const {
    const QuantParams& p2 = second_.params();
    const cpu::GeluQuant q{p2.x_scale, static_cast<float>(p2.x_zero_point), p2.u8 ? 0.f : -128.f, p2.u8 ? 255.f : 127.f};
    parallel_for(n, 1 << 14, [&](int64_t lo, int64_t hi) {
      if (first_gelu_)
        cpu::GeluQuantizeBytes(y1 + lo, hi - lo, q, 0, reinterpret_cast<int8_t*>(codes + lo));
      else
        QuantizeSpan(y1 + lo, hi - lo, p2.x_scale, p2.x_zero_point, p2.u8, codes + lo);
    });
  }

  std::unique_ptr<rt::Kernel> fallback_;
  ir::Node first_node_;
  Int8ConvNhwc first_, second_;
  bool first_gelu_, second_gelu_;
  std::vector<uint8_t> src_, codes_;  // NHWC codes of X and of the first conv's output
  std::vector<float> mid_, dst_;      // NHWC float results of the two convs
};

}  // namespace

rt::KernelCandidate OnednnQConvPairCandidate() {
  return {"onednn.qconv_pair", [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            const auto stages = SplitQConvPairStages(info);
            QuantParams p[2];
            for (int s = 0; s < 2; ++s) {
              const rt::KernelBuildInfo si = stages[s].Info(info.opset, info.precision);
              const Tensor* zp = si.const_inputs.size() > 2 ? si.const_inputs[2] : nullptr;
              const std::string which = s == 0 ? "first conv: " : "second conv: ";
              if (!zp) return Decline(why, which + "activation zero point is not constant");
              std::string stage_why;
              if (!ReadQuantParams(si, 0, zp->dtype() == DType::kUInt8, &p[s], &stage_why))
                return Decline(why, which + stage_why);
              if (p[s].weights.rank() != 4) return Decline(why, which + "not a 2-D convolution");
            }
            std::string fallback_why;
            auto fallback = RefQConvPairCandidate().make(info, &fallback_why);
            if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
            const bool gelu1 = stages[0].node.op_type == "QConvGelu", gelu2 = stages[1].node.op_type == "QConvGelu";
            return std::make_unique<QConvPairKernel>(std::move(fallback),
                                                     std::array<ir::Node, 2>{stages[0].node, stages[1].node},
                                                     std::move(p[0]), std::move(p[1]), gelu1, gelu2);
          }};
}

}  // namespace samq::backends::onednn
