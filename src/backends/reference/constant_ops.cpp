// Ops that make a tensor from attributes or a shape: Constant, ConstantOfShape, Range, EyeLike.
#include <cmath>
#include <limits>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/shape_util.h"
#include "core/float_convert.h"

namespace samq::backends {
namespace {

// ---- Constant -----------------------------------------------------------------------------

// The tensor a Constant node holds, from whichever value* attribute it has.
Result<Tensor> ConstantValue(const ir::Node& node) {
  for (const auto& a : node.attributes) {
    if (a.name == "value") {
      if (a.type != ir::AttrType::kTensor || !a.t.defined())
        return NodeError(node, "attribute 'value' must be a tensor");
      SAMQ_RETURN_IF_ERROR(CheckMovableDtype(node, a.t.dtype()));
      return a.t;
    }
    if (a.name == "value_float") return Tensor::Scalar<float>(a.f);
    if (a.name == "value_floats") return Tensor::FromVector<float>({static_cast<int64_t>(a.floats.size())}, a.floats);
    if (a.name == "value_int") return Tensor::Scalar<int64_t>(a.i);
    if (a.name == "value_ints") return Tensor::FromVector<int64_t>({static_cast<int64_t>(a.ints.size())}, a.ints);
    if (a.name == "value_string" || a.name == "value_strings")
      return NodeError(node, "attribute '{}': string constants are not supported (samq tensors are numeric)", a.name);
    if (a.name == "sparse_value")
      return NodeError(node, "attribute 'sparse_value': sparse constants are not supported");
  }
  return NodeError(node, "has none of the attributes value, value_float(s), value_int(s)");
}

Status InferConstant(rt::InferContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(Tensor t, ConstantValue(ctx.node()));
  ctx.set_output(0, t.dtype(), t.shape());
  return Status::Ok();
}

Status RunConstant(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(Tensor t, ConstantValue(ctx.node()));
  // Shares the attribute's buffer: outputs are never written in place by consumers.
  ctx.set_output(0, t);
  return Status::Ok();
}

// ---- ConstantOfShape ----------------------------------------------------------------------

Result<Tensor> FillValue(const ir::Node& node) {
  const ir::Attribute* a = node.attr("value");
  if (!a) return Tensor::Scalar<float>(0.0f);
  if (a->type != ir::AttrType::kTensor || !a->t.defined() || a->t.numel() != 1)
    return NodeError(node, "attribute 'value' must be a one-element tensor");
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(node, a->t.dtype()));
  return a->t;
}

Status InferConstantOfShape(rt::InferContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(Tensor value, FillValue(ctx.node()));
  const Tensor* shape = ctx.input_value(0);
  if (!shape) {
    const auto& st = ctx.input_type(0);
    if (st.rank_known && st.rank() == 1 && st.dims[0] >= 0) ctx.set_output(0, value.dtype(), Shape(st.dims[0], -1));
    else ctx.set_output_unknown_rank(0, value.dtype());
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto dims, ReadInts(ctx.node(), *shape, "input 'input' (the shape)"));
  if (shape->rank() > 1) return ctx.Error("the shape input must be 1-D, got {}", shape_str(shape->shape()));
  for (int64_t d : dims)
    if (d < 0) return ctx.Error("shape {} has a negative dim", shape_str(dims));
  ctx.set_output(0, value.dtype(), dims);
  return Status::Ok();
}

Status RunConstantOfShape(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(Tensor value, FillValue(ctx.node()));
  Tensor& out = ctx.output(0);
  FillElements(out.raw(), value.raw(), out.numel(), dtype_size(out.dtype()));
  return Status::Ok();
}

// ---- Range --------------------------------------------------------------------------------

template <typename T>
Result<int64_t> RangeCount(const ir::Node& node, T start, T limit, T delta) {
  if (delta == T(0)) return NodeError(node, "delta is 0");
  double n;
  if constexpr (std::is_integral_v<T>) {
    // Exact integer ceil((limit - start) / delta), wide enough for any int64 inputs.
    __int128 diff = static_cast<__int128>(limit) - static_cast<__int128>(start);
    __int128 d = delta;
    __int128 q = diff / d;
    if ((diff % d != 0) && ((diff < 0) == (d < 0))) ++q;
    n = static_cast<double>(q);
  } else {
    // The difference in T, then the division in double, as ONNX Runtime computes it.
    n = std::ceil(static_cast<double>(limit - start) / static_cast<double>(delta));
    if (std::isnan(n)) return NodeError(node, "start, limit or delta is not finite");
  }
  if (n <= 0) return int64_t{0};
  if (n > static_cast<double>(std::numeric_limits<int32_t>::max()))
    return NodeError(node, "the range would have {} elements", n);
  return static_cast<int64_t>(n);
}

// float16 / bfloat16 (Range-25) are computed in float32 and rounded once per element.
template <typename Fn>
bool VisitRangeType(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat16: case DType::kBFloat16: fn(TypeTag<float>{}); return true;
    case DType::kFloat64: fn(TypeTag<double>{}); return true;
    case DType::kInt16: fn(TypeTag<int16_t>{}); return true;
    case DType::kInt32: fn(TypeTag<int32_t>{}); return true;
    case DType::kInt64: fn(TypeTag<int64_t>{}); return true;
    default: return false;
  }
}

// Element 0 of a Range input as T (narrow floats widened).
template <typename T>
T RangeScalar(const Tensor& t) {
  if constexpr (std::is_same_v<T, float>)
    if (t.dtype() != DType::kFloat32) return static_cast<float>(element_as_double(t.dtype(), t.raw(), 0));
  return t.data<T>()[0];
}

Status InferRange(rt::InferContext& ctx) {
  const DType dt = ctx.input_type(0).dtype;
  for (int i = 1; i < 3; ++i)
    if (ctx.input_type(i).dtype != DType::kUndefined && dt != DType::kUndefined && ctx.input_type(i).dtype != dt)
      return ctx.Error("start, limit and delta must have one dtype; got {} and {}", dtype_name(dt),
                       dtype_name(ctx.input_type(i).dtype));
  if (dt != DType::kUndefined && !VisitRangeType(dt, [](auto) {}))
    return ctx.Error("dtype {} is not supported; supported: float32, float64, float16, bfloat16, int16, int32, int64",
                     dtype_name(dt));
  const Tensor *s = ctx.input_value(0), *l = ctx.input_value(1), *d = ctx.input_value(2);
  if (!s || !l || !d || dt == DType::kUndefined) {
    ctx.set_output(0, dt, {-1});
    return Status::Ok();
  }
  for (const Tensor* t : {s, l, d})
    if (t->numel() != 1) return ctx.Error("start, limit and delta must be scalars, got shape {}", shape_str(t->shape()));
  Status st;
  int64_t n = 0;
  VisitRangeType(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto r = RangeCount<T>(ctx.node(), RangeScalar<T>(*s), RangeScalar<T>(*l), RangeScalar<T>(*d));
    if (r.ok()) n = *r;
    else st = r.status();
  });
  SAMQ_RETURN_IF_ERROR(st);
  ctx.set_output(0, dt, {n});
  return Status::Ok();
}

Status RunRange(rt::KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  VisitRangeType(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T start = RangeScalar<T>(ctx.input(0)), delta = RangeScalar<T>(ctx.input(2));
    // start + i * delta (the ONNX formula), not a running sum: no error accumulates.
    for (int64_t i = 0; i < out.numel(); ++i) {
      const T v = static_cast<T>(start + static_cast<T>(i) * delta);
      if constexpr (std::is_same_v<T, float>) {
        if (out.dtype() != DType::kFloat32) {
          element_from_double(out.dtype(), out.raw(), i, v);
          continue;
        }
      }
      out.data<T>()[i] = v;
    }
  });
  return Status::Ok();
}

// ---- EyeLike ------------------------------------------------------------------------------

Result<DType> EyeLikeDtype(const ir::Node& node, DType input) {
  const ir::Attribute* a = node.attr("dtype");
  if (!a) return input;
  auto d = dtype_from_onnx(static_cast<int32_t>(a->i));
  if (!d || dtype_size(*d) == 0) return NodeError(node, "attribute 'dtype' = {} is not a supported dtype", a->i);
  return *d;
}

Status InferEyeLike(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_ASSIGN_OR_RETURN(DType dt, EyeLikeDtype(ctx.node(), t.dtype));
  if (t.rank_known && t.rank() != 2) return ctx.Error("input must be 2-D, got {}", t.str());
  ctx.set_output(0, dt, t.rank_known ? t.dims : Shape{-1, -1});
  return Status::Ok();
}

Status RunEyeLike(rt::KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const int64_t rows = out.dim(0), cols = out.dim(1), k = ctx.node().attr_int("k", 0);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t j = i + k;
    if (j >= 0 && j < cols) element_from_double(out.dtype(), out.raw(), i * cols + j, 1.0);
  }
  return Status::Ok();
}

void Add(rt::OpRegistry& r, const char* op, int min_in, int max_in, rt::InferFn infer, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = min_in;
  s.max_inputs = max_in;
  s.infer = std::move(infer);
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, std::move(run)));
  r.Register(std::move(s));
}

}  // namespace

void RegisterConstantOps(rt::OpRegistry& r) {
  Add(r, "Constant", 0, 0, InferConstant, RunConstant);
  Add(r, "ConstantOfShape", 1, 1, InferConstantOfShape, RunConstantOfShape);
  Add(r, "Range", 3, 3, InferRange, RunRange);
  Add(r, "EyeLike", 1, 1, InferEyeLike, RunEyeLike);
}

}  // namespace samq::backends
