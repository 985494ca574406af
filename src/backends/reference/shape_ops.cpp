// Ops that only read or change a shape: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze,
// Identity. None of them moves data: the ones with a tensor output return a view sharing the
// input's buffer (ctx.set_output), so Reshape chains in torch-exported graphs cost nothing.
//
// Also defines RegisterShapeOps, which registers the whole shape / data-movement family.
#include <algorithm>

#include "backends/reference/infer_util.h"
#include "backends/reference/shape_util.h"
#include "backends/registry.h"

namespace samq::backends {
namespace {

// ---- Shape / Size -------------------------------------------------------------------------

// Shape-15's start/end: negative values count from the back, then both clamp to [0, rank].
std::pair<int64_t, int64_t> ShapeRange(const ir::Node& node, int64_t rank) {
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clamp(node.attr_int("start", 0));
  int64_t end = clamp(node.attr_int("end", rank));
  return {start, std::max(start, end)};
}

Status InferShape(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  if (!t.rank_known) {
    ctx.set_output(0, DType::kInt64, {-1});
    return Status::Ok();
  }
  auto [start, end] = ShapeRange(ctx.node(), t.rank());
  ctx.set_output(0, DType::kInt64, {end - start});
  return Status::Ok();
}

Status RunShape(rt::KernelContext& ctx) {
  const Shape& dims = ctx.input(0).shape();
  auto [start, end] = ShapeRange(ctx.node(), static_cast<int64_t>(dims.size()));
  int64_t* out = ctx.output(0).data<int64_t>();
  for (int64_t i = start; i < end; ++i) out[i - start] = dims[i];
  return Status::Ok();
}

Status RunSize(rt::KernelContext& ctx) {
  ctx.output(0).data<int64_t>()[0] = ctx.input(0).numel();
  return Status::Ok();
}

// ---- Reshape ------------------------------------------------------------------------------

// The output shape of Reshape(in, spec). `in` may hold -1 (unknown) dims; the result then holds
// -1 where it cannot be known. Errors are definite violations only.
Result<Shape> ReshapeDims(const ir::Node& node, const Shape& in, const std::vector<int64_t>& spec,
                          bool allowzero) {
  Shape out(spec.size());
  int infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t s = spec[i];
    if (s == -1) {
      if (infer_at >= 0) return NodeError(node, "shape {} has more than one -1", shape_str(spec));
      infer_at = static_cast<int>(i);
      out[i] = -1;
    } else if (s < -1) {
      return NodeError(node, "shape {} has the invalid value {} at index {}", shape_str(spec), s, i);
    } else if (s == 0 && !allowzero) {
      // 0 copies the input dim at the same index.
      if (i >= in.size())
        return NodeError(node, "shape {} has 0 at index {} (copy the input dim) but the input has rank {}",
                         shape_str(spec), i, in.size());
      out[i] = in[i];
    } else {
      has_zero = has_zero || s == 0;
      out[i] = s;
    }
  }
  if (allowzero && has_zero && infer_at >= 0)
    return NodeError(node, "shape {} has both 0 and -1, which allowzero=1 forbids", shape_str(spec));
  const int64_t in_numel = DimProduct(in, 0, in.size());
  if (infer_at >= 0) {
    int64_t known = 1;
    bool all_known = true;
    for (size_t i = 0; i < out.size(); ++i)
      if (static_cast<int>(i) != infer_at) {
        if (out[i] < 0) all_known = false;
        else known *= out[i];
      }
    if (all_known && in_numel >= 0) {
      if (known == 0 || in_numel % known != 0)
        return NodeError(node, "cannot reshape {} elements (input {}) into shape {}", in_numel,
                         shape_str(in), shape_str(spec));
      out[infer_at] = in_numel / known;
    }
  } else {
    const int64_t out_numel = DimProduct(out, 0, out.size());
    if (in_numel >= 0 && out_numel >= 0 && in_numel != out_numel)
      return NodeError(node, "cannot reshape input {} ({} elements) into shape {} ({} elements)",
                       shape_str(in), in_numel, shape_str(out), out_numel);
  }
  return out;
}

Status InferReshape(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  SAMQ_ASSIGN_OR_RETURN(IntsArg spec, ReadIntsArg(ctx, 1, "shape"));
  if (!spec.present) return ctx.Error("needs the 'shape' input (or attribute before opset 5)");
  if (!spec.known) {
    // The shape's length still fixes the output rank.
    const auto& st = ctx.input_type(1);
    if (st.rank_known && st.rank() == 1 && st.dims[0] >= 0) ctx.set_output(0, t.dtype, Shape(st.dims[0], -1));
    else ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  const bool allowzero = ctx.node().attr_int("allowzero", 0) != 0;
  if (!t.rank_known) {
    // Without the input rank, only dims the spec states outright are known.
    Shape out(spec.values.size(), -1);
    for (size_t i = 0; i < out.size(); ++i)
      if (spec.values[i] > 0 || (allowzero && spec.values[i] == 0)) out[i] = spec.values[i];
    ctx.set_output(0, t.dtype, out);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(Shape out, ReshapeDims(ctx.node(), t.dims, spec.values, allowzero));
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

// Every pure-view op: the output is the input's buffer under the inferred shape.
Status RunView(rt::KernelContext& ctx) {
  ctx.set_output(0, ctx.input(0).Reshaped(ctx.output_type(0).dims));
  return Status::Ok();
}

// ---- Flatten ------------------------------------------------------------------------------

Status InferFlatten(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  if (!t.rank_known) {
    ctx.set_output(0, t.dtype, {-1, -1});
    return Status::Ok();
  }
  int64_t axis = ctx.node().attr_int("axis", 1);
  const int64_t r = t.rank();
  if (axis < -r || axis > r) return ctx.Error("axis {} is out of range for rank {} (allowed: [{}, {}])", axis, r, -r, r);
  if (axis < 0) axis += r;
  ctx.set_output(0, t.dtype, {DimProduct(t.dims, 0, axis), DimProduct(t.dims, axis, r)});
  return Status::Ok();
}

// ---- Squeeze / Unsqueeze -------------------------------------------------------------------

Status InferSqueeze(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_ASSIGN_OR_RETURN(IntsArg axes, ReadIntsArg(ctx, 1, "axes"));
  if (!t.rank_known || (axes.present && !axes.known)) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  Shape out;
  if (!axes.present || axes.values.empty()) {
    // No axes: drop every dim of size 1, which needs every dim known.
    for (int64_t d : t.dims) {
      if (d < 0) {
        ctx.set_output_unknown_rank(0, t.dtype);
        return Status::Ok();
      }
      if (d != 1) out.push_back(d);
    }
    ctx.set_output(0, t.dtype, out);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto norm, NormalizeAxes(ctx.node(), axes.values, t.rank(), "axes"));
  std::vector<bool> drop(t.rank(), false);
  for (int64_t a : norm) {
    if (t.dims[a] >= 0 && t.dims[a] != 1)
      return ctx.Error("cannot squeeze axis {} of shape {}: its size is {}, not 1", a, shape_str(t.dims), t.dims[a]);
    drop[a] = true;
  }
  for (int64_t i = 0; i < t.rank(); ++i)
    if (!drop[i]) out.push_back(t.dims[i]);
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

Status InferUnsqueeze(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_ASSIGN_OR_RETURN(IntsArg axes, ReadIntsArg(ctx, 1, "axes"));
  if (!axes.present) return ctx.Error("needs 'axes' (an attribute before opset 13, an input from 13 on)");
  if (!t.rank_known || !axes.known) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  const int64_t out_rank = t.rank() + static_cast<int64_t>(axes.values.size());
  SAMQ_ASSIGN_OR_RETURN(auto norm, NormalizeAxes(ctx.node(), axes.values, out_rank, "axes"));
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : norm) inserted[a] = true;
  Shape out(out_rank);
  size_t next = 0;
  for (int64_t i = 0; i < out_rank; ++i) out[i] = inserted[i] ? 1 : t.dims[next++];
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

rt::OpSchema ViewSchema(const char* op, int min_in, int max_in, rt::InferFn infer) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = min_in;
  s.max_inputs = max_in;
  s.infer = std::move(infer);
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, RunView));
  return s;
}

}  // namespace

void RegisterShapeViewOps(rt::OpRegistry& r) {
  rt::OpSchema shape;
  shape.op_type = "Shape";
  shape.min_inputs = shape.max_inputs = 1;
  shape.infer = InferShape;
  shape.kernels.push_back(rt::MakeStatelessKernel("ref.Shape", RunShape));
  r.Register(std::move(shape));

  rt::OpSchema size;
  size.op_type = "Size";
  size.min_inputs = size.max_inputs = 1;
  size.infer = [](rt::InferContext& ctx) {
    ctx.set_output(0, DType::kInt64, {});
    return Status::Ok();
  };
  size.kernels.push_back(rt::MakeStatelessKernel("ref.Size", RunSize));
  r.Register(std::move(size));

  r.Register(ViewSchema("Reshape", 1, 2, InferReshape));
  r.Register(ViewSchema("Flatten", 1, 1, InferFlatten));
  r.Register(ViewSchema("Squeeze", 1, 2, InferSqueeze));
  r.Register(ViewSchema("Unsqueeze", 1, 2, InferUnsqueeze));
  r.Register(ViewSchema("Identity", 1, 1, InferSameAsInput));
}

void RegisterShapeOps(rt::OpRegistry& r) {
  RegisterShapeViewOps(r);
  RegisterConstantOps(r);
  RegisterTransposeOps(r);
  RegisterConcatSplitOps(r);
  RegisterSliceOps(r);
  RegisterPadOps(r);
  RegisterGatherOps(r);
  RegisterScatterOps(r);
  RegisterExpandTileOps(r);
}

}  // namespace samq::backends
