// com.samq QConvPair: schema, shape inference, the split into its two QConv stages and the
// reference kernel (see qconv_pair.h).
#include <string_view>
#include <vector>

#include "backends/cpu/qconv_kernels.h"
#include "backends/cpu/qconv_pair.h"
#include "backends/reference/conv_geometry.h"
#include "backends/reference/samq_qops.h"

namespace samq::backends {
namespace {

constexpr int kX = 0;
constexpr const char* kPrefixes[2] = {"first_", "second_"};
constexpr const char* kOpAttrs[2] = {"first_op", "second_op"};
constexpr int WeightInput(int stage) { return 3 + (kQConvPairSecondScale - 1) * stage; }  // 3, 8
// Input i (1..5) of stage s in the fused node.
constexpr int OuterInput(int stage, int i) { return stage == 0 ? i : kQConvPairSecondScale - 1 + i; }

Shape DimsOf(const rt::TensorType& t) { return t.rank_known ? t.dims : Shape(4, -1); }

bool IsStageOp(const std::string& op) { return op == "QConv" || op == "QConvGelu"; }

Status InferQConvPair(rt::InferContext& ctx) {
  static const char* kWhat[4] = {"activation scale", "zero point", "weights", "weight scales"};
  for (int s = 0; s < 2; ++s) {
    if (!IsStageOp(ctx.node().attr_string(kOpAttrs[s], "")))
      return ctx.Error("attribute {} must be QConv or QConvGelu", kOpAttrs[s]);
    for (int i = 1; i < kQConvPairStageInputs; ++i)
      if (!ctx.has_input(OuterInput(s, i)))
        return ctx.Error("input {} ({} conv's {}) is missing", OuterInput(s, i), s == 0 ? "first" : "second",
                         kWhat[i - 1]);
    const auto& w = ctx.input_type(WeightInput(s));
    if (w.dtype != DType::kUndefined && w.dtype != DType::kInt8)
      return ctx.Error("weight input {} has type {}; expected int8", WeightInput(s), dtype_name(w.dtype));
  }
  if (ctx.input_type(kX).dtype != DType::kUndefined && ctx.input_type(kX).dtype != DType::kFloat32)
    return ctx.Error("X has type {}; supported: float32", dtype_name(ctx.input_type(kX).dtype));
  for (int i : {kX, WeightInput(0), WeightInput(1)})
    if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 4)
      return ctx.Error("input {} has rank {}; expected 4", i, ctx.input_type(i).rank());
  if (!ctx.input_type(WeightInput(0)).rank_known || !ctx.input_type(WeightInput(1)).rank_known) {
    ctx.set_output_unknown_rank(0, DType::kFloat32);
    return Status::Ok();
  }
  const auto nodes = SplitQConvPairNodes(ctx.node());
  auto first = MakeConvProblem(nodes[0], DimsOf(ctx.input_type(kX)), ctx.input_type(WeightInput(0)).dims, false);
  if (!first.ok()) return ctx.Error("first conv: {}", first.status().message());
  auto second = MakeConvProblem(nodes[1], first->out_shape, ctx.input_type(WeightInput(1)).dims, false);
  if (!second.ok()) return ctx.Error("second conv: {}", second.status().message());
  ctx.set_output(0, DType::kFloat32, second->out_shape);
  return Status::Ok();
}

// The two reference kernels in turn; the first's output lives only inside Run.
class RefQConvPair final : public rt::Kernel {
 public:
  RefQConvPair(std::array<ir::Node, 2> nodes, std::array<std::unique_ptr<rt::Kernel>, 2> kernels)
      : nodes_(std::move(nodes)), kernels_(std::move(kernels)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(kX);
    SAMQ_ASSIGN_OR_RETURN(ConvProblem first,
                          MakeConvProblem(nodes_[0], x.shape(), ctx.input(WeightInput(0)).shape(), false));
    SAMQ_ASSIGN_OR_RETURN(Tensor y1, RunStage(ctx, 0, x, first.out_shape));
    SAMQ_ASSIGN_OR_RETURN(ConvProblem second,
                          MakeConvProblem(nodes_[1], y1.shape(), ctx.input(WeightInput(1)).shape(), false));
    SAMQ_ASSIGN_OR_RETURN(Tensor y, RunStage(ctx, 1, y1, second.out_shape));
    ctx.set_output(0, std::move(y));
    return Status::Ok();
  }

 private:
  Result<Tensor> RunStage(rt::KernelContext& ctx, int s, const Tensor& in, const Shape& shape) {
    std::vector<const Tensor*> inputs{&in};
    for (int i = 1; i < static_cast<int>(nodes_[s].inputs.size()); ++i)
      inputs.push_back(ctx.has_input(OuterInput(s, i)) ? &ctx.input(OuterInput(s, i)) : nullptr);
    const bool last = s == 1;
    rt::KernelContext inner(nodes_[s], ctx.opset(), std::move(inputs), {{DType::kFloat32, true, shape}},
                            [&ctx, last](DType t, const Shape& sh, bool zero_fill) {
                              if (last) return zero_fill ? ctx.output(0) : ctx.output_for_overwrite(0);
                              return Tensor::Zeros(t, sh);
                            });
    SAMQ_RETURN_IF_ERROR(kernels_[s]->Run(inner));
    return inner.outputs()[0];
  }

  std::array<ir::Node, 2> nodes_;
  std::array<std::unique_ptr<rt::Kernel>, 2> kernels_;
};

std::unique_ptr<rt::Kernel> MakeRefQConvPair(const rt::KernelBuildInfo& info, std::string* why) {
  auto stages = SplitQConvPairStages(info);
  std::array<std::unique_ptr<rt::Kernel>, 2> kernels;
  for (int s = 0; s < 2; ++s) {
    if (!IsStageOp(stages[s].node.op_type)) {
      *why = std::string(kOpAttrs[s]) + " is not QConv or QConvGelu";
      return nullptr;
    }
    const bool gelu = stages[s].node.op_type == "QConvGelu";
    std::string stage_why;
    kernels[s] = (gelu ? RefQConvGeluCandidate() : RefQConvCandidate())
                     .make(stages[s].Info(info.opset, info.precision), &stage_why);
    if (!kernels[s]) {
      *why = std::string(s == 0 ? "first" : "second") + " conv: " + stage_why;
      return nullptr;
    }
  }
  return std::make_unique<RefQConvPair>(std::array<ir::Node, 2>{stages[0].node, stages[1].node}, std::move(kernels));
}

}  // namespace

std::array<ir::Node, 2> SplitQConvPairNodes(const ir::Node& n) {
  static const char* kNames[2] = {"/first", "/second"};
  std::array<ir::Node, 2> nodes;
  for (int s = 0; s < 2; ++s) {
    ir::Node& st = nodes[s];
    st.name = n.name + kNames[s];
    st.domain = "com.samq";
    st.op_type = n.attr_string(kOpAttrs[s], "");
    st.inputs = {s == 0 ? (n.inputs.empty() ? std::string() : n.inputs[kX]) : n.name + kNames[0]};
    st.outputs = {n.name + kNames[s]};
    for (int i = 1; i <= kQConvPairStageInputs; ++i) {
      const int outer = OuterInput(s, i);
      if (i == kQConvPairStageInputs && !n.has_input(outer)) break;  // the bias is optional
      st.inputs.push_back(outer < n.num_inputs() ? n.inputs[outer] : std::string());
    }
    const std::string_view prefix = kPrefixes[s];
    for (const ir::Attribute& a : n.attributes) {
      if (a.name == kOpAttrs[0] || a.name == kOpAttrs[1] || std::string_view(a.name).substr(0, prefix.size()) != prefix)
        continue;
      ir::Attribute stage_attr = a;
      stage_attr.name = a.name.substr(prefix.size());
      st.attributes.push_back(std::move(stage_attr));
    }
  }
  return nodes;
}

std::array<fast::QMBConvStage, 2> SplitQConvPairStages(const rt::KernelBuildInfo& info) {
  const auto nodes = SplitQConvPairNodes(info.node);
  std::array<fast::QMBConvStage, 2> stages;
  for (int s = 0; s < 2; ++s) {
    fast::QMBConvStage& st = stages[s];
    st.node = nodes[s];
    st.types = {s == 0 ? info.input_types[kX] : rt::TensorType{DType::kFloat32, false, {}}};
    st.consts = {nullptr};
    for (int i = 1; i < static_cast<int>(st.node.inputs.size()); ++i) {
      const int outer = OuterInput(s, i);
      st.types.push_back(outer < static_cast<int>(info.input_types.size()) ? info.input_types[outer] : rt::TensorType{});
      st.consts.push_back(outer < static_cast<int>(info.const_inputs.size()) ? info.const_inputs[outer] : nullptr);
    }
  }
  return stages;
}

rt::KernelCandidate RefQConvPairCandidate() { return {"ref.QConvPair", MakeRefQConvPair}; }

void AddQConvPairOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "QConvPair";
  s.domain = "com.samq";
  s.min_inputs = 1;  // the first bias may be an empty name in the middle: InferQConvPair checks the rest
  s.max_inputs = 11;
  s.infer = InferQConvPair;
  s.kernels = {onednn::OnednnQConvPairCandidate(), RefQConvPairCandidate()};
  r.Register(std::move(s));
}

}  // namespace samq::backends
