// com.samq Gelu(x) -> y, attribute approximate = "none" (default) | "tanh": the node that
// passes/fuse_gelu.cpp makes from PyTorch's exported GELU subgraphs (ONNX Gelu-20 semantics).
//   none: y = 0.5 * x * (1 + erf(x / sqrt(2)))
//   tanh: y = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
// ref.Gelu computes in double with libm (the oracle of the fast kernel's tests); fast.Gelu is
// one vectorized, threaded float32 pass.
#include <cmath>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/fast_math.h"
#include "backends/cpu/gelu_rows.h"
#include "backends/reference/infer_util.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

constexpr double kSqrt2OverPi = 0.79788456080286535588;

bool TanhForm(const ir::Node& n) { return n.attr_string("approximate", "none") == "tanh"; }

Status InferGelu(rt::InferContext& ctx) {
  const std::string a = ctx.node().attr_string("approximate", "none");
  if (a != "none" && a != "tanh")
    return ctx.Error("approximate '{}' is not supported; supported: none, tanh", a);
  const DType t = ctx.input_type(0).dtype;
  if (t != DType::kUndefined && t != DType::kFloat32)
    return ctx.Error("input type {} is not supported; supported: float32", dtype_name(t));
  return InferSameAsInput(ctx);
}

Status RefGelu(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const float* px = x.data<float>();
  float* py = ctx.output_for_overwrite(0).data<float>();
  const bool tanh_form = TanhForm(ctx.node());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double v = px[i];
    const double inner = tanh_form ? std::tanh(kSqrt2OverPi * (v + 0.044715 * v * v * v))
                                   : std::erf(v / std::sqrt(2.0));
    py[i] = static_cast<float>(0.5 * v * (1.0 + inner));
  }
  return Status::Ok();
}

SAMQ_CLONES void GeluRow(bool tanh_form, const float* x, float* y, int64_t n) {
  if (tanh_form) {
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      const float t = fastmath::Tanh(0.7978845608f * (v + 0.044715f * v * v * v));
      y[i] = 0.5f * v * (1.0f + t);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      y[i] = 0.5f * v * (1.0f + fastmath::Erf(v * 0.70710678118654752f));
    }
  }
}

// The erf form through cpu::GeluErfRow (its AVX-512 form where the CPU has one: same bits).
void GeluRowFast(bool tanh_form, const float* x, float* y, int64_t n) {
  if (tanh_form) GeluRow(true, x, y, n);
  else cpu::GeluErfRow(x, y, n);
}

class FastGelu : public rt::Kernel {
 public:
  explicit FastGelu(bool tanh_form) : tanh_form_(tanh_form) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const float* px = x.data<float>();
    float* py = ctx.output_for_overwrite(0).data<float>();
    parallel_for(x.numel(), 16384,
                 [&](int64_t lo, int64_t hi) { GeluRowFast(tanh_form_, px + lo, py + lo, hi - lo); });
    return Status::Ok();
  }

 private:
  bool tanh_form_;
};

}  // namespace

void AddFastGeluKernels(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Gelu";
  s.domain = "com.samq";
  s.min_inputs = s.max_inputs = 1;
  s.infer = InferGelu;
  s.kernels.push_back({"fast.Gelu", [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
    if (info.input_types[0].dtype != DType::kFloat32) {
      *why = "input is not float32";
      return nullptr;
    }
    return std::make_unique<FastGelu>(TanhForm(info.node));
  }});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Gelu", RefGelu));
  r.Register(std::move(s));
}

}  // namespace samq::backends::fast

namespace samq::backends {

// Element-wise, so y may alias x in GeluRow.
void GeluInPlace(float* y, int64_t n, bool tanh_form) {
  if (!tanh_form) return GeluErfInPlace(y, n);
  fast::GeluRow(true, y, y, n);
}

}  // namespace samq::backends
