// Slice (opset 1-9: starts/ends/axes attributes; opset 10+: starts, ends, axes, steps inputs).
//
// Torch exports `x[..., ::-1]` and "to the end" as INT64_MAX / -INT64_MAX ends, so the clamping
// below follows the ONNX definition exactly and never overflows: a negative index has the dim
// added once, then starts clamp to [0, dim] (steps > 0) or [0, dim-1] (steps < 0) and ends to
// [0, dim] or [-1, dim-1].
#include <algorithm>

#include "backends/reference/shape_util.h"

namespace samq::backends {
namespace {

struct SliceArgs {
  bool known = false;  // all values known (else only the axes may be)
  std::vector<int64_t> starts, ends, axes, steps;
  bool axes_known = false;
};

// Reads the four arguments from inputs (opset >= 10) or attributes (before).
template <typename Ctx, typename ValueFn>
Result<SliceArgs> ReadSliceArgs(const Ctx& ctx, ValueFn value, int64_t rank) {
  const ir::Node& node = ctx.node();
  SliceArgs a;
  if (node.num_inputs() == 1) {
    if (!node.attr("starts") || !node.attr("ends"))
      return NodeError(node, "needs 'starts' and 'ends' (attributes before opset 10, inputs from 10 on)");
    a.starts = node.attr_ints("starts");
    a.ends = node.attr_ints("ends");
    a.axes = node.attr_ints("axes");
    a.known = a.axes_known = true;
  } else {
    if (node.num_inputs() < 3) return NodeError(node, "needs the inputs data, starts and ends");
    const Tensor *s = value(1), *e = value(2);
    const Tensor* ax = node.has_input(3) ? value(3) : nullptr;
    const Tensor* st = node.has_input(4) ? value(4) : nullptr;
    a.axes_known = !node.has_input(3) || ax;
    a.known = s && e && a.axes_known && (!node.has_input(4) || st);
    if (ax) {
      SAMQ_ASSIGN_OR_RETURN(a.axes, ReadInts(node, *ax, "axes"));
      if (rank >= 0) {
        SAMQ_ASSIGN_OR_RETURN(a.axes, NormalizeAxes(node, a.axes, rank, "axes"));
      }
    }
    if (!a.known) return a;  // axes (when known) are normalized: infer indexes dims with them
    SAMQ_ASSIGN_OR_RETURN(a.starts, ReadInts(node, *s, "starts"));
    SAMQ_ASSIGN_OR_RETURN(a.ends, ReadInts(node, *e, "ends"));
    if (st) {
      SAMQ_ASSIGN_OR_RETURN(a.steps, ReadInts(node, *st, "steps"));
    }
  }
  if (a.known && a.starts.size() != a.ends.size())
    return NodeError(node, "starts has {} values but ends has {}", a.starts.size(), a.ends.size());
  const size_t n = a.known ? a.starts.size() : a.axes.size();
  if (a.axes_known && a.axes.empty()) {
    if (a.known) {
      a.axes.resize(n);
      for (size_t i = 0; i < n; ++i) a.axes[i] = static_cast<int64_t>(i);
    }
  } else if (a.known && a.axes.size() != n) {
    return NodeError(node, "axes has {} values but starts has {}", a.axes.size(), n);
  }
  // Normalizing again is harmless (values are in range now) and covers attribute axes and the
  // default 0..n-1, which may exceed the rank.
  if (a.axes_known && rank >= 0) {
    SAMQ_ASSIGN_OR_RETURN(a.axes, NormalizeAxes(node, a.axes, rank, "axes"));
  }
  if (a.known) {
    if (a.steps.empty()) a.steps.assign(n, 1);
    if (a.steps.size() != n) return NodeError(node, "steps has {} values but starts has {}", a.steps.size(), n);
    for (int64_t s : a.steps)
      if (s == 0) return NodeError(node, "steps must not be 0");
  }
  return a;
}

// Clamped start and output length of one sliced axis of size `dim`.
std::pair<int64_t, int64_t> SliceAxis(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim == 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  int64_t len;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    len = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    // -step would overflow for INT64_MIN; any step that large takes one element.
    len = start > end ? (step == INT64_MIN ? 1 : (start - end - 1) / (-step) + 1) : 0;
  }
  return {start, len};
}

Status InferSlice(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  if (!t.rank_known) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(SliceArgs a, ReadSliceArgs(ctx, [&](int i) { return ctx.input_value(i); }, t.rank()));
  Shape out = t.dims;
  if (!a.known) {
    // Only the sliced axes change; with unknown axes, any of them may.
    if (a.axes_known && !a.axes.empty()) {
      for (int64_t ax : a.axes) out[ax] = -1;
    } else {
      std::fill(out.begin(), out.end(), -1);
    }
    ctx.set_output(0, t.dtype, out);
    return Status::Ok();
  }
  for (size_t i = 0; i < a.axes.size(); ++i) {
    const int64_t ax = a.axes[i];
    out[ax] = t.dims[ax] < 0 ? -1 : SliceAxis(a.starts[i], a.ends[i], a.steps[i], t.dims[ax]).second;
  }
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

Status RunSlice(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  SAMQ_ASSIGN_OR_RETURN(
      SliceArgs a,
      ReadSliceArgs(ctx, [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }, in.rank()));
  const Shape in_strides = ContiguousStrides(in.shape());
  Shape strides = in_strides, out_dims = in.shape();
  int64_t offset = 0;
  for (size_t i = 0; i < a.axes.size(); ++i) {
    const int64_t ax = a.axes[i];
    auto [start, len] = SliceAxis(a.starts[i], a.ends[i], a.steps[i], in.dim(ax));
    out_dims[ax] = len;
    if (len > 0) offset += start * in_strides[ax];
    strides[ax] = a.steps[i] * in_strides[ax];
  }
  StridedCopyBytes(in.raw(), offset, strides, out_dims, dtype_size(in.dtype()), ctx.output(0).raw());
  return Status::Ok();
}

}  // namespace

void RegisterSliceOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Slice";
  s.min_inputs = 1;
  s.max_inputs = 5;
  s.infer = InferSlice;
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Slice", RunSlice));
  r.Register(std::move(s));
}

}  // namespace samq::backends
