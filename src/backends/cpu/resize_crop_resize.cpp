#include "backends/cpu/resize_crop_resize.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "backends/cpu/resize_crop_rows.h"
#include "backends/cpu/resize_taps.h"
#include "passes/fuse_resize_crop.h"
#include "runtime/evaluate_node.h"

namespace samq::backends::cpu {
namespace {

using passes::kCropFirstResizeInputs;
using passes::kCropFirstSliceInput;
using passes::kCropSecondResizeInputs;
using passes::kCropShapeFirstSliceInput;
using rt::TensorType;

// The chain a fused node stands for, as stand-alone Resize and Slice nodes. Their data inputs are
// placeholders; argument inputs keep the fused node's value names (infer only asks whether they
// are present). `index` maps each argument input of each sub-node to the fused node's input.
struct Chain {
  ir::Node first;
  std::vector<ir::Node> slices;
  std::optional<ir::Node> second;
  std::vector<int> first_index, second_index;
  std::vector<std::vector<int>> slice_index;
};

ir::Node SubNode(const ir::Node& fused, const char* op, const std::string& suffix, const std::string& data,
                 const std::vector<int>& index, const char* prefix) {
  ir::Node n;
  n.name = fused.name + "/" + suffix;
  n.op_type = op;
  n.inputs = {data};
  for (int i : index) n.inputs.push_back(fused.has_input(i) ? fused.inputs[i] : "");
  n.outputs = {n.name};
  if (prefix) {
    const std::string p = prefix;
    for (const auto& a : fused.attributes)
      if (a.name.rfind(p, 0) == 0) {
        ir::Attribute c = a;
        c.name = a.name.substr(p.size());
        n.attributes.push_back(std::move(c));
      }
  }
  return n;
}

Result<Chain> ChainOf(const ir::Node& fused, bool with_second) {
  const int slices_at = with_second ? kCropFirstSliceInput : kCropShapeFirstSliceInput;
  const int n = fused.num_inputs();
  const int min_slices = with_second ? 1 : 0;  // a Shape may read the first Resize's output
  if (n < slices_at + 4 * min_slices || (n - slices_at) % 4 != 0 || n > slices_at + 4 * passes::kCropMaxSlices)
    return Status::UserF("{}: has {} inputs; expected {} then 4 per Slice ({} to {} Slices)", fused.describe(), n,
                         slices_at, min_slices, passes::kCropMaxSlices);
  Chain c;
  c.first_index = {kCropFirstResizeInputs, kCropFirstResizeInputs + 1, kCropFirstResizeInputs + 2};
  c.first = SubNode(fused, "Resize", "first", fused.inputs[0], c.first_index, passes::kCropFirstPrefix);
  for (int k = 0; slices_at + 4 * k < n; ++k) {
    std::vector<int> index;
    for (int j = 0; j < 4; ++j) index.push_back(slices_at + 4 * k + j);
    c.slices.push_back(SubNode(fused, "Slice", "slice" + std::to_string(k), "crop_in", index, nullptr));
    c.slice_index.push_back(std::move(index));
  }
  if (with_second) {
    c.second_index = {kCropSecondResizeInputs, kCropSecondResizeInputs + 1, kCropSecondResizeInputs + 2};
    c.second = SubNode(fused, "Resize", "second", "crop", c.second_index, passes::kCropSecondPrefix);
  }
  return c;
}

// The Resize and Slice schemas, copied when the fused ops are registered: infer composes their
// infer functions, the kernels run the chain with their candidates.
struct ChainOps {
  rt::OpRegistry ops;
  rt::InferFn resize_infer, slice_infer;
};

// Types (and values, where known) of the fused node's inputs.
struct Feeds {
  std::vector<TensorType> types;
  std::vector<const Tensor*> values;
};

Result<TensorType> InferSub(const rt::InferFn& fn, const ir::Node& sub, int64_t opset, const TensorType& data,
                            const std::vector<int>& index, const Feeds& f) {
  std::vector<TensorType> types{data};
  std::vector<const Tensor*> values{nullptr};
  for (int i : index) {
    types.push_back(i < static_cast<int>(f.types.size()) ? f.types[i] : TensorType{});
    values.push_back(i < static_cast<int>(f.values.size()) ? f.values[i] : nullptr);
  }
  rt::InferContext ctx(sub, opset, std::move(types), std::move(values));
  SAMQ_RETURN_IF_ERROR(fn(ctx));
  return ctx.output_types()[0];
}

// The type of the crop (after the last Slice) and, with a second Resize, of the result.
Result<TensorType> InferChain(const ChainOps& ops, const Chain& c, int64_t opset, const Feeds& f, bool through_second) {
  SAMQ_ASSIGN_OR_RETURN(TensorType t, InferSub(ops.resize_infer, c.first, opset, f.types[0], c.first_index, f));
  for (size_t k = 0; k < c.slices.size(); ++k) {
    SAMQ_ASSIGN_OR_RETURN(t, InferSub(ops.slice_infer, c.slices[k], opset, t, c.slice_index[k], f));
  }
  if (through_second && c.second) {
    SAMQ_ASSIGN_OR_RETURN(t, InferSub(ops.resize_infer, *c.second, opset, t, c.second_index, f));
  }
  return t;
}

Feeds FeedsOf(const rt::InferContext& ctx) {
  Feeds f;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    f.types.push_back(ctx.has_input(i) ? ctx.input_type(i) : TensorType{});
    f.values.push_back(ctx.has_input(i) ? ctx.input_value(i) : nullptr);
  }
  return f;
}

Feeds FeedsOf(const rt::KernelContext& ctx) {
  Feeds f;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    f.types.push_back(ctx.has_input(i) ? TensorType::Of(ctx.input(i)) : TensorType{});
    f.values.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
  }
  return f;
}

// ResizeCropShape's [start, end) of the crop's dims (the Shape op's rule: negative adds the rank,
// then clamp to [0, rank]).
std::pair<int64_t, int64_t> ShapeRange(const ir::Node& n, int64_t rank) {
  auto norm = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  const int64_t s = norm(n.attr_int("start", 0)), e = norm(n.attr_int("end", rank));
  return {s, std::max(s, e)};
}

// Runs the chain node by node; `ref` picks the reference candidates, else the first that accepts.
Status RunChain(const ChainOps& ops, const Chain& c, rt::KernelContext& ctx, bool ref) {
  auto arg = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
  auto run = [&](const ir::Node& sub, const Tensor& data, const std::vector<int>& index) -> Result<Tensor> {
    std::vector<const Tensor*> ins{&data};
    for (int i : index) ins.push_back(arg(i));
    rt::EvaluateOptions eo;
    if (ref) eo.kernel = "ref." + sub.op_type;
    eo.inputs_are_constant = false;
    SAMQ_ASSIGN_OR_RETURN(auto outs, rt::EvaluateNode(ops.ops, sub, ctx.opset(), ins, eo));
    return outs[0];
  };
  SAMQ_ASSIGN_OR_RETURN(Tensor t, run(c.first, ctx.input(0), c.first_index));
  for (size_t k = 0; k < c.slices.size(); ++k) {
    SAMQ_ASSIGN_OR_RETURN(t, run(c.slices[k], t, c.slice_index[k]));
  }
  SAMQ_ASSIGN_OR_RETURN(t, run(*c.second, t, c.second_index));
  ctx.set_output(0, t);
  return Status::Ok();
}

std::optional<std::vector<int64_t>> Ints(const Tensor* t) {
  if (!t) return std::nullopt;
  std::vector<int64_t> v(t->numel());
  if (t->dtype() == DType::kInt64) {
    for (int64_t i = 0; i < t->numel(); ++i) v[i] = t->data<int64_t>()[i];
  } else if (t->dtype() == DType::kInt32) {
    for (int64_t i = 0; i < t->numel(); ++i) v[i] = t->data<int32_t>()[i];
  } else {
    return std::nullopt;
  }
  return v;
}

class FastResizeCropResize final : public rt::Kernel {
 public:
  FastResizeCropResize(std::shared_ptr<const ChainOps> ops, Chain chain) : ops_(std::move(ops)), c_(std::move(chain)) {}

  Status Run(rt::KernelContext& ctx) override {
    if (TryFast(ctx)) return Status::Ok();
    return RunChain(*ops_, c_, ctx, /*ref=*/false);
  }

 private:
  // The direct computation when the run-time geometry allows it (see the header); false otherwise.
  bool TryFast(rt::KernelContext& ctx) const {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32 || x.rank() < 2) return false;
    auto geometry_arg = [&](int i) -> const Tensor* {
      return ctx.has_input(i) && ctx.input(i).numel() > 0 ? &ctx.input(i) : nullptr;
    };
    auto plan = [&](const ir::Node& sub, const std::vector<int>& index, const Shape& in) -> std::optional<TwoTapPlan> {
      auto a = ReadResizeAttrs(sub, ctx.opset());
      if (!a.ok()) return std::nullopt;
      auto g = ComputeResizeGeometry(sub, *a, in, geometry_arg(index[0]), geometry_arg(index[1]),
                                     geometry_arg(index[2]));
      if (!g.ok()) return std::nullopt;
      auto p = PlanTwoTapResize(*a, *g, DType::kFloat32, in);
      if (p && g->out != [&] { Shape s = in; s[s.size() - 2] = p->out_h; s[s.size() - 1] = p->out_w; return s; }())
        return std::nullopt;
      return p;
    };
    const auto first = plan(c_.first, c_.first_index, x.shape());
    if (!first) return false;
    // The crop: unit-step Slices of the last two axes only.
    const int64_t r = x.rank();
    Shape crop_shape = x.shape();
    crop_shape[r - 2] = first->out_h;
    crop_shape[r - 1] = first->out_w;
    CropWindow w;
    for (const auto& index : c_.slice_index) {
      auto starts = Ints(ctx.has_input(index[0]) ? &ctx.input(index[0]) : nullptr);
      auto ends = Ints(ctx.has_input(index[1]) ? &ctx.input(index[1]) : nullptr);
      if (!starts || !ends || starts->size() != ends->size()) return false;
      std::vector<int64_t> axes(starts->size()), steps(starts->size(), 1);
      for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
      if (ctx.has_input(index[2])) {
        auto a = Ints(&ctx.input(index[2]));
        if (!a || a->size() != axes.size()) return false;
        axes = *a;
      }
      if (ctx.has_input(index[3])) {
        auto s = Ints(&ctx.input(index[3]));
        if (!s || s->size() != steps.size()) return false;
        steps = *s;
      }
      for (size_t i = 0; i < axes.size(); ++i) {
        const int64_t ax = axes[i] < 0 ? axes[i] + r : axes[i];
        if (steps[i] != 1 || (ax != r - 2 && ax != r - 1)) return false;
        const int64_t dim = crop_shape[ax];
        int64_t s = (*starts)[i], e = (*ends)[i];
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        (ax == r - 2 ? w.y0 : w.x0) += s;
        crop_shape[ax] = std::max<int64_t>(0, e - s);
      }
    }
    w.h = crop_shape[r - 2];
    w.w = crop_shape[r - 1];
    if (w.h == 0 || w.w == 0) return false;
    const auto second = plan(*c_.second, c_.second_index, crop_shape);
    if (!second) return false;
    Tensor& out = ctx.output_for_overwrite(0);
    if (out.rank() != r || out.dim(r - 2) != second->out_h || out.dim(r - 1) != second->out_w) return false;
    if (out.numel() == 0) return true;
    ResizeCropResizePlanes(x.data<float>(), x.numel() / (first->in_h * first->in_w), *first, w, *second,
                           out.data<float>());
    return true;
  }

  std::shared_ptr<const ChainOps> ops_;
  Chain c_;
};

class RefChainKernel final : public rt::Kernel {
 public:
  RefChainKernel(std::shared_ptr<const ChainOps> ops, Chain chain) : ops_(std::move(ops)), c_(std::move(chain)) {}
  Status Run(rt::KernelContext& ctx) override { return RunChain(*ops_, c_, ctx, /*ref=*/true); }

 private:
  std::shared_ptr<const ChainOps> ops_;
  Chain c_;
};

// ResizeCropShape: every input value is known at run time, so the composed shape inference gives
// the crop's shape without computing anything.
class CropShapeKernel final : public rt::Kernel {
 public:
  CropShapeKernel(std::shared_ptr<const ChainOps> ops, Chain chain) : ops_(std::move(ops)), c_(std::move(chain)) {}
  Status Run(rt::KernelContext& ctx) override {
    SAMQ_ASSIGN_OR_RETURN(TensorType t, InferChain(*ops_, c_, ctx.opset(), FeedsOf(ctx), false));
    if (!t.fully_known()) return Status::InternalF("{}: crop shape unknown at run time ({})", ctx.node().describe(), t.str());
    auto [s, e] = ShapeRange(ctx.node(), t.rank());
    Tensor& out = ctx.output(0);
    for (int64_t d = s; d < e; ++d) out.data<int64_t>()[d - s] = t.dims[d];
    return Status::Ok();
  }

 private:
  std::shared_ptr<const ChainOps> ops_;
  Chain c_;
};

}  // namespace

void AddResizeCropKernels(rt::OpRegistry& r) {
  const rt::OpSchema* resize = r.Find("", "Resize");
  const rt::OpSchema* slice = r.Find("", "Slice");
  if (!resize || !slice) return;  // nothing to compose: the pass is not run without the schema
  auto ops = std::make_shared<ChainOps>();
  ops->ops.Register(*resize);
  ops->ops.Register(*slice);
  ops->resize_infer = resize->infer;
  ops->slice_infer = slice->infer;
  std::shared_ptr<const ChainOps> shared = ops;

  rt::OpSchema fused;
  fused.op_type = "ResizeCropResize";
  fused.domain = "com.samq";
  fused.min_inputs = 1;
  fused.max_inputs = kCropFirstSliceInput + 4 * passes::kCropMaxSlices;
  fused.infer = [shared](rt::InferContext& ctx) -> Status {
    SAMQ_ASSIGN_OR_RETURN(Chain c, ChainOf(ctx.node(), true));
    SAMQ_ASSIGN_OR_RETURN(TensorType t, InferChain(*shared, c, ctx.opset(), FeedsOf(ctx), true));
    if (t.rank_known) ctx.set_output(0, t.dtype, t.dims);
    else ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  };
  fused.kernels.push_back({"cpu.resize_crop_resize_f32",
                           [shared](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
                             const DType d = info.input_types.empty() ? DType::kUndefined : info.input_types[0].dtype;
                             if (d != DType::kFloat32) {
                               *why = "float32 only";
                               return nullptr;
                             }
                             auto c = ChainOf(info.node, true);
                             if (!c.ok()) {
                               *why = c.status().message();
                               return nullptr;
                             }
                             return std::make_unique<FastResizeCropResize>(shared, std::move(*c));
                           }});
  fused.kernels.push_back({"ref.ResizeCropResize",
                           [shared](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
                             auto c = ChainOf(info.node, true);
                             if (!c.ok()) {
                               *why = c.status().message();
                               return nullptr;
                             }
                             return std::make_unique<RefChainKernel>(shared, std::move(*c));
                           }});
  r.Register(std::move(fused));

  rt::OpSchema shape;
  shape.op_type = "ResizeCropShape";
  shape.domain = "com.samq";
  shape.min_inputs = 1;
  shape.max_inputs = kCropShapeFirstSliceInput + 4 * passes::kCropMaxSlices;
  shape.infer = [shared](rt::InferContext& ctx) -> Status {
    SAMQ_ASSIGN_OR_RETURN(Chain c, ChainOf(ctx.node(), false));
    SAMQ_ASSIGN_OR_RETURN(TensorType t, InferChain(*shared, c, ctx.opset(), FeedsOf(ctx), false));
    if (!t.rank_known) {
      ctx.set_output(0, DType::kInt64, {-1});
      return Status::Ok();
    }
    auto [s, e] = ShapeRange(ctx.node(), t.rank());
    ctx.set_output(0, DType::kInt64, {e - s});
    return Status::Ok();
  };
  shape.kernels.push_back({"ref.ResizeCropShape",
                           [shared](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
                             auto c = ChainOf(info.node, false);
                             if (!c.ok()) {
                               *why = c.status().message();
                               return nullptr;
                             }
                             return std::make_unique<CropShapeKernel>(shared, std::move(*c));
                           }});
  r.Register(std::move(shape));
}

}  // namespace samq::backends::cpu
