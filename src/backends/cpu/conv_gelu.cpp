// com.samq ConvGelu: schema, reference kernel and the shared in-place GELU (see conv_gelu.h).
#include "backends/cpu/conv_gelu.h"

#include <cmath>

#include "backends/cpu/deconv_gemm.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/fast_math.h"
#include "backends/cpu/gelu_rows.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/reference/linalg_nn_families.h"

namespace samq::backends {
namespace {

// ref.Conv's (ref.ConvTranspose's) kernel, then the exact GELU over its float32 output.
class RefConvGelu final : public rt::Kernel {
 public:
  RefConvGelu(std::unique_ptr<rt::Kernel> conv, bool tanh_form) : conv_(std::move(conv)), tanh_(tanh_form) {}
  Status Run(rt::KernelContext& ctx) override {
    SAMQ_RETURN_IF_ERROR(conv_->Run(ctx));
    Tensor& y = ctx.output(0);
    if (y.dtype() != DType::kFloat32) return ctx.Error("ConvGelu supports float32 only");
    float* p = y.data<float>();
    const double sqrt_2_over_pi = std::sqrt(2.0 / M_PI);
    for (int64_t i = 0; i < y.numel(); ++i) {
      const double v = p[i];
      const double inner = tanh_ ? std::tanh(sqrt_2_over_pi * (v + 0.044715 * v * v * v)) : std::erf(v / std::sqrt(2.0));
      p[i] = static_cast<float>(0.5 * v * (1.0 + inner));
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<rt::Kernel> conv_;
  bool tanh_;
};

}  // namespace

rt::KernelCandidate RefConvGeluCandidate() {
  return {"ref.ConvGelu", [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            auto conv = RefConvCandidate().make(info, why);
            if (!conv) return nullptr;
            return std::make_unique<RefConvGelu>(std::move(conv), GeluIsTanh(info.node));
          }};
}

rt::KernelCandidate RefConvTransposeGeluCandidate() {
  return {"ref.ConvTransposeGelu",
          [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            auto conv = RefConvTransposeCandidate().make(info, why);
            if (!conv) return nullptr;
            return std::make_unique<RefConvGelu>(std::move(conv), GeluIsTanh(info.node));
          }};
}

bool GeluIsTanh(const ir::Node& node) { return node.attr_string("approximate", "none") == "tanh"; }

void GeluErfInPlace(float* y, int64_t n) {
  cpu::GeluErfRow(y, y, n);
}

void AddConvGeluOp(rt::OpRegistry& r) {
  const rt::OpSchema* conv = r.Find("", "Conv");
  if (!conv) return;  // no Conv, nothing to fuse into (the pass checks for the schema)
  rt::OpSchema s;
  s.op_type = "ConvGelu";
  s.domain = "com.samq";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.infer = conv->infer;  // same attributes, same output shape
  s.kernels = {fast::FastDepthwiseConvGeluCandidate(), onednn::OnednnPointwiseConvGeluCandidate(),
               onednn::OnednnConvGeluCandidate(), RefConvGeluCandidate()};
  r.Register(std::move(s));
}

void AddConvTransposeGeluOp(rt::OpRegistry& r) {
  const rt::OpSchema* deconv = r.Find("", "ConvTranspose");
  if (!deconv) return;
  rt::OpSchema s;
  s.op_type = "ConvTransposeGelu";
  s.domain = "com.samq";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.infer = deconv->infer;
  s.kernels = {onednn::DeconvGemmGeluCandidate(), RefConvTransposeGeluCandidate()};
  r.Register(std::move(s));
}

}  // namespace samq::backends
