// com.samq QMBConv: schema, shape inference, the split into its three QConv stages and the
// reference kernel (see qmbconv.h).
#include <cmath>
#include <vector>

#include "backends/cpu/qconv_kernels.h"
#include "backends/cpu/qmbconv.h"
#include "backends/reference/samq_qops.h"
#include "ir/attribute.h"

namespace samq::backends::fast {
namespace {

constexpr int kX = 0, kR = kQMBConvResidual;
// The weights of stage s sit at 3 + 5 s: W1 = 3, Wd = 8, W3 = 13.
constexpr int WeightInput(int stage) { return 3 + kQMBConvStageInputs * stage; }

Shape DimsOf(const rt::TensorType& t) { return t.rank_known ? t.dims : Shape(4, -1); }

Status InferQMBConv(rt::InferContext& ctx) {
  // Every stage's bias is optional, so the schema can only require X: the rest is checked here.
  for (int s = 0; s < 3; ++s)
    for (int i = 1; i < kQMBConvStageInputs; ++i)
      if (!ctx.has_input(kQMBConvStageInputs * s + i))
        return ctx.Error("input {} (stage {} {}) is missing", kQMBConvStageInputs * s + i, s,
                         i == 1 ? "activation scale" : i == 2 ? "zero point" : i == 3 ? "weights" : "weight scales");
  if (ctx.input_type(kX).dtype != DType::kUndefined && ctx.input_type(kX).dtype != DType::kFloat32)
    return ctx.Error("X has type {}; supported: float32", dtype_name(ctx.input_type(kX).dtype));
  for (int s = 0; s < 3; ++s) {
    const auto& w = ctx.input_type(WeightInput(s));
    if (w.dtype != DType::kUndefined && w.dtype != DType::kInt8)
      return ctx.Error("weight input {} has type {}; expected int8", WeightInput(s), dtype_name(w.dtype));
  }
  for (int i : {kX, WeightInput(0), WeightInput(1), WeightInput(2)})
    if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 4)
      return ctx.Error("input {} has rank {}; expected 4", i, ctx.input_type(i).rank());
  auto dims = GetMBConvDims(ctx.node(), DimsOf(ctx.input_type(kX)), DimsOf(ctx.input_type(WeightInput(0))),
                            DimsOf(ctx.input_type(WeightInput(1))), DimsOf(ctx.input_type(WeightInput(2))));
  if (!dims.ok()) return ctx.Error("{}", dims.status().message());
  return SetMBConvOutput(ctx, *dims, kR);
}

bool HasResidual(const ir::Node& n) { return n.has_input(kR); }
bool EndsInGelu(const ir::Node& n) { return n.attr_string("activation", "none") == "gelu"; }

// The three reference QConv kernels in sequence; the residual add in float32 and the last GELU in
// double, as the unfused Add and ref.Gelu compute them.
class RefQMBConv final : public rt::Kernel {
 public:
  RefQMBConv(std::array<QMBConvStage, 3> stages, std::array<std::unique_ptr<rt::Kernel>, 3> kernels)
      : stages_(std::move(stages)), kernels_(std::move(kernels)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(kX);
    SAMQ_ASSIGN_OR_RETURN(MBConvDims d, GetMBConvDims(ctx.node(), x.shape(), ctx.input(WeightInput(0)).shape(),
                                                       ctx.input(WeightInput(1)).shape(),
                                                       ctx.input(WeightInput(2)).shape()));
    const bool residual = HasResidual(ctx.node());
    const Shape out{d.n, d.m, d.oh, d.ow};
    if (residual && ctx.input(kR).shape() != out)
      return ctx.Error("residual {} does not match the output {}", shape_str(ctx.input(kR).shape()), shape_str(out));
    SAMQ_ASSIGN_OR_RETURN(Tensor t, RunStage(ctx, 0, x, {d.n, d.e, d.h, d.w}, false));
    SAMQ_ASSIGN_OR_RETURN(Tensor dw, RunStage(ctx, 1, t, {d.n, d.e, d.oh, d.ow}, false));
    t = Tensor();
    SAMQ_ASSIGN_OR_RETURN(Tensor y, RunStage(ctx, 2, dw, out, true));
    if (residual) {
      float* p = y.data<float>();
      const float* r = ctx.input(kR).data<float>();
      const bool gelu = EndsInGelu(ctx.node());
      for (int64_t i = 0; i < y.numel(); ++i) {
        const double v = p[i] + r[i];  // the float32 Add, then GELU in double
        p[i] = gelu ? static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)))) : static_cast<float>(v);
      }
    }
    ctx.set_output(0, std::move(y));
    return Status::Ok();
  }

 private:
  Result<Tensor> RunStage(rt::KernelContext& ctx, int s, const Tensor& in, const Shape& shape, bool last) {
    std::vector<const Tensor*> inputs{&in};
    for (int i = 1; i < static_cast<int>(stages_[s].node.inputs.size()); ++i) {
      const int outer = 1 + kQMBConvStageInputs * s + (i - 1);
      inputs.push_back(ctx.has_input(outer) ? &ctx.input(outer) : nullptr);
    }
    rt::KernelContext inner(stages_[s].node, ctx.opset(), std::move(inputs), {{DType::kFloat32, true, shape}},
                            [&ctx, last](DType t, const Shape& sh, bool zero_fill) {
                              if (last) return zero_fill ? ctx.output(0) : ctx.output_for_overwrite(0);
                              return Tensor::Zeros(t, sh);
                            });
    SAMQ_RETURN_IF_ERROR(kernels_[s]->Run(inner));
    return inner.outputs()[0];
  }

  std::array<QMBConvStage, 3> stages_;
  std::array<std::unique_ptr<rt::Kernel>, 3> kernels_;
};

std::unique_ptr<rt::Kernel> MakeRefQMBConv(const rt::KernelBuildInfo& info, std::string* why) {
  auto stages = SplitQMBConvStages(info);
  std::array<std::unique_ptr<rt::Kernel>, 3> kernels;
  for (int s = 0; s < 3; ++s) {
    const bool gelu = stages[s].node.op_type == "QConvGelu";
    std::string stage_why;
    kernels[s] = (gelu ? RefQConvGeluCandidate() : RefQConvCandidate()).make(stages[s].Info(info.opset, info.precision),
                                                                            &stage_why);
    if (!kernels[s]) {
      *why = "stage " + std::to_string(s) + ": " + stage_why;
      return nullptr;
    }
  }
  return std::make_unique<RefQMBConv>(std::move(stages), std::move(kernels));
}

}  // namespace

std::array<QMBConvStage, 3> SplitQMBConvStages(const rt::KernelBuildInfo& info) {
  const ir::Node& n = info.node;
  static const char* kNames[3] = {"/expand", "/depthwise", "/project"};
  std::array<QMBConvStage, 3> stages;
  for (int s = 0; s < 3; ++s) {
    QMBConvStage& st = stages[s];
    st.node.name = n.name + kNames[s];
    st.node.domain = "com.samq";
    st.node.op_type = s < 2 || (EndsInGelu(n) && !HasResidual(n)) ? "QConvGelu" : "QConv";
    st.node.inputs = {s == 0 ? n.inputs[kX] : n.name + kNames[s - 1]};
    st.node.outputs = {n.name + kNames[s]};
    st.types = {s == 0 ? info.input_types[kX] : rt::TensorType{DType::kFloat32, false, {}}};
    st.consts = {nullptr};
    for (int i = 1; i <= kQMBConvStageInputs; ++i) {
      const int outer = kQMBConvStageInputs * s + i;
      if (i == kQMBConvStageInputs && !n.has_input(outer)) break;  // the bias is optional
      st.node.inputs.push_back(outer < n.num_inputs() ? n.inputs[outer] : std::string());
      st.types.push_back(outer < static_cast<int>(info.input_types.size()) ? info.input_types[outer] : rt::TensorType{});
      st.consts.push_back(outer < static_cast<int>(info.const_inputs.size()) ? info.const_inputs[outer] : nullptr);
    }
    if (s == 1) {
      for (const char* a : {"strides", "pads", "dilations"})
        if (const ir::Attribute* attr = n.attr(a)) st.node.attributes.push_back(*attr);
      const auto& wd = info.input_types[WeightInput(1)];
      if (wd.rank_known && wd.rank() == 4 && wd.dims[0] > 0) st.node.set_attr(ir::IntAttr("group", wd.dims[0]));
    }
  }
  return stages;
}

rt::KernelCandidate RefQMBConvCandidate() { return {"ref.QMBConv", MakeRefQMBConv}; }

void AddQMBConvOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "QMBConv";
  s.domain = "com.samq";
  s.min_inputs = 1;  // the biases in between are optional (InferQMBConv checks the rest)
  s.max_inputs = kQMBConvResidual + 1;
  s.infer = InferQMBConv;
  s.kernels.push_back({"fast.QMBConv", MakeFastQMBConv});
  s.kernels.push_back(RefQMBConvCandidate());
  r.Register(std::move(s));
}

}  // namespace samq::backends::fast
