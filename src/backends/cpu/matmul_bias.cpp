// com.samq MatMulBias: schema and reference kernel (see matmul_bias.h).
#include "backends/cpu/matmul_bias.h"

#include <cmath>

#include "backends/reference/linalg_nn_families.h"

namespace samq::backends {
namespace {

bool GeluActivation(const ir::Node& n) { return n.attr_string("activation", "none") == "gelu"; }

class RefMatMulBias final : public rt::Kernel {
 public:
  explicit RefMatMulBias(std::unique_ptr<rt::Kernel> matmul) : matmul_(std::move(matmul)) {}
  Status Run(rt::KernelContext& ctx) override {
    // ref.MatMul reads inputs 0 and 1 only; leading 1s in the output shape do not move data.
    SAMQ_RETURN_IF_ERROR(matmul_->Run(ctx));
    Tensor& y = ctx.output(0);
    const Tensor& b = ctx.input(2);
    if (y.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32)
      return ctx.Error("MatMulBias supports float32 only");
    const int64_t n = b.numel();
    if (n == 0 || y.numel() % n != 0) return ctx.Error("bias of {} values for output {}", n, shape_str(y.shape()));
    const float* pb = b.data<float>();
    float* p = y.data<float>();
    const bool gelu = GeluActivation(ctx.node());
    for (int64_t i = 0; i < y.numel(); ++i) {
      p[i] = p[i] + pb[i % n];
      if (gelu) {
        const double v = p[i];
        p[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
      }
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<rt::Kernel> matmul_;
};

}  // namespace

rt::KernelCandidate RefMatMulBiasCandidate() {
  return {"ref.MatMulBias", [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            auto mm = RefMatMulCandidate().make(info, why);
            if (!mm) return nullptr;
            return std::make_unique<RefMatMulBias>(std::move(mm));
          }};
}

void AddMatMulBiasOp(rt::OpRegistry& r) {
  const rt::OpSchema* matmul = r.Find("", "MatMul");
  if (!matmul) return;  // nothing to fuse into (the session checks for the schema)
  rt::OpSchema s;
  s.op_type = "MatMulBias";
  s.domain = "com.samq";
  s.min_inputs = 3;
  s.max_inputs = 3;
  s.infer = [mm = matmul->infer](rt::InferContext& ctx) -> Status {
    const std::string a = ctx.node().attr_string("activation", "none");
    if (a != "none" && a != "gelu") return ctx.Error("activation '{}' is not supported; supported: none, gelu", a);
    SAMQ_RETURN_IF_ERROR(mm(ctx));
    const auto& b = ctx.input_type(2);
    const auto& y = ctx.output_types()[0];
    if (b.dtype != DType::kUndefined && y.dtype != DType::kUndefined && b.dtype != y.dtype)
      return ctx.Error("bias dtype {} differs from the product's {}", dtype_name(b.dtype), dtype_name(y.dtype));
    // Add's broadcast: a bias of higher rank prepends 1s (it is [..., 1, N], checked by the pass).
    if (y.rank_known && b.rank_known && b.rank() > y.rank()) {
      Shape dims(b.rank() - y.rank(), 1);
      dims.insert(dims.end(), y.dims.begin(), y.dims.end());
      ctx.set_output(0, y.dtype, std::move(dims));
    }
    return Status::Ok();
  };
  s.kernels = {onednn::OnednnMatMulBiasCandidate(), RefMatMulBiasCandidate()};
  r.Register(std::move(s));
}

}  // namespace samq::backends
