// com.samq QConvGelu: schema, reference kernel and candidates (see qconv_kernels.h and
// passes/fuse_qconv_gelu.h).
#include <cmath>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/qconv_kernels.h"
#include "backends/reference/samq_qops.h"

namespace samq::backends {
namespace {

// A QConv kernel, then a GELU over its float32 output: `exact` uses double-precision libm erf
// (the reference), otherwise the vectorized GeluErfInPlace that every fast Gelu kernel uses.
class QConvThenGelu final : public rt::Kernel {
 public:
  QConvThenGelu(std::unique_ptr<rt::Kernel> conv, bool exact) : conv_(std::move(conv)), exact_(exact) {}

  Status Run(rt::KernelContext& ctx) override {
    SAMQ_RETURN_IF_ERROR(conv_->Run(ctx));
    Tensor& y = ctx.output(0);
    if (y.dtype() != DType::kFloat32) return ctx.Error("QConvGelu produces float32 only");
    float* p = y.data<float>();
    if (!exact_) {
      GeluErfInPlace(p, y.numel());
      return Status::Ok();
    }
    for (int64_t i = 0; i < y.numel(); ++i) {
      const double v = p[i];
      p[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<rt::Kernel> conv_;
  bool exact_;
};

rt::KernelCandidate ThenGelu(const rt::KernelCandidate& conv, bool exact, std::string name) {
  return {std::move(name), [conv, exact](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            auto k = conv.make(info, why);
            if (!k) return nullptr;
            return std::make_unique<QConvThenGelu>(std::move(k), exact);
          }};
}

}  // namespace

rt::KernelCandidate RefQConvGeluCandidate() { return ThenGelu(RefQConvCandidate(), true, "ref.QConvGelu"); }

void AddQConvGeluOp(rt::OpRegistry& r) {
  const rt::OpSchema* qconv = r.Find("com.samq", "QConv");
  if (!qconv) return;  // nothing to fuse into (the session checks for the schema)
  rt::OpSchema s;
  s.op_type = "QConvGelu";
  s.domain = "com.samq";
  s.min_inputs = qconv->min_inputs;
  s.max_inputs = qconv->max_inputs;
  s.infer = qconv->infer;  // same inputs and attributes, same output shape
  s.kernels = {QConv1x1NchwCandidate(true), QConvDepthwiseNchwCandidate(true), onednn::OnednnQConvCandidate(false, true),
               onednn::OnednnQConvCandidate(true, true)};
  // Every other QConv candidate, GELU as a second pass.
  for (const auto& k : qconv->kernels) {
    if (k.name.rfind("ref.", 0) == 0 || k.name == QConv1x1NchwCandidate(false).name ||
        k.name == QConvDepthwiseNchwCandidate(false).name || k.name == onednn::OnednnQConvCandidate(false, false).name ||
        k.name == onednn::OnednnQConvCandidate(true, false).name)
      continue;
    s.kernels.push_back(ThenGelu(k, false, k.name + "+gelu"));
  }
  s.kernels.push_back(RefQConvGeluCandidate());
  r.Register(std::move(s));
}

void AddQMatMulGeluOp(rt::OpRegistry& r) {
  const rt::OpSchema* qmatmul = r.Find("com.samq", "QMatMul");
  if (!qmatmul) return;
  rt::OpSchema s;
  s.op_type = "QMatMulGelu";
  s.domain = "com.samq";
  s.min_inputs = qmatmul->min_inputs;
  s.max_inputs = qmatmul->max_inputs;
  s.infer = qmatmul->infer;
  s.kernels = {onednn::OnednnQMatMulGeluCandidate(true), onednn::OnednnQMatMulGeluCandidate(false),
               RefQMatMulGeluCandidate()};
  r.Register(std::move(s));
}

}  // namespace samq::backends
