// Where (3-way broadcast select), Clip, and the variadic Max / Min / Sum / Mean.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "backends/reference/binary_loop.h"
#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/reference_families.h"

namespace samq::backends {
namespace {

bool IsComputeType(DType t) {
  return dtype_is_float(t) || (dtype_is_integer(t) && t != DType::kInt4 && t != DType::kUInt4);
}

// --- Where ------------------------------------------------------------------------------------

// Where only moves elements, so it is written per element width, not per type.
template <typename W>
void SelectLoop(const Tensor& cond, const Tensor& x, const Tensor& y, Tensor& out) {
  BroadcastPlan p = MakeBroadcastPlan(out.shape(), {&cond.shape(), &x.shape(), &y.shape()});
  const uint8_t* c = cond.data<uint8_t>();
  const W* xa = x.data<W>();
  const W* ya = y.data<W>();
  W* o = out.data<W>();
  const int64_t sc = p.inner_stride(0), sx = p.inner_stride(1), sy = p.inner_stride(2);
  ParallelBroadcastRuns(p, [&](int64_t off, const auto& offs, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      o[off + i] = c[offs[0] + i * sc] ? xa[offs[1] + i * sx] : ya[offs[2] + i * sy];
  });
}

Status InferWhere(rt::InferContext& ctx) {
  DType c = ctx.input_type(0).dtype;
  if (c != DType::kUndefined && c != DType::kBool)
    return ctx.Error("condition must be bool, got {}", dtype_name(c));
  SAMQ_RETURN_IF_ERROR(CheckSameInputDtypes(ctx, 1, 2));
  DType t = ctx.input_type(1).dtype != DType::kUndefined ? ctx.input_type(1).dtype
                                                          : ctx.input_type(2).dtype;
  return InferBroadcastOutput(ctx, 0, 3, t);
}

Status RunWhere(rt::KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const Tensor &c = ctx.input(0), &x = ctx.input(1), &y = ctx.input(2);
  switch (dtype_size(out.dtype())) {
    case 1: SelectLoop<uint8_t>(c, x, y, out); break;
    case 2: SelectLoop<uint16_t>(c, x, y, out); break;
    case 4: SelectLoop<uint32_t>(c, x, y, out); break;
    case 8: SelectLoop<uint64_t>(c, x, y, out); break;
    default: return ctx.Error("type {} is not supported", dtype_name(out.dtype()));
  }
  return Status::Ok();
}

// --- Clip -------------------------------------------------------------------------------------

// A bound from input i (opset >= 11) or attribute `attr` (opset < 11); `fallback` if neither.
template <typename T>
Result<T> ClipBound(const rt::KernelContext& ctx, int i, const char* attr, T fallback) {
  if (ctx.has_input(i)) {
    const Tensor& b = ctx.input(i);
    if (b.numel() != 1)
      return ctx.Error("input {} ({}) must be a scalar, got shape {}", i, attr, shape_str(b.shape()));
    if (b.dtype() != DTypeOf<T>::value)
      return ctx.Error("input {} ({}) is {} but the data is {}", i, attr, dtype_name(b.dtype()),
                       dtype_name(DTypeOf<T>::value));
    return b.data<T>()[0];
  }
  if (const ir::Attribute* a = ctx.node().attr(attr)) return static_cast<T>(a->f);
  return fallback;
}

template <typename T>
Status ClipTyped(rt::KernelContext& ctx, const Tensor& x, Tensor& y) {
  // An omitted bound is the type's finite range (ONNX's documented default,
  // numeric_limits::lowest()/max(), which ONNX Runtime applies): so -inf clips to the lowest
  // finite float when only max is given.
  const T lowest = std::numeric_limits<T>::lowest();
  const T highest = std::numeric_limits<T>::max();
  SAMQ_ASSIGN_OR_RETURN(const T lo, ClipBound<T>(ctx, 1, "min", lowest));
  SAMQ_ASSIGN_OR_RETURN(const T hi, ClipBound<T>(ctx, 2, "max", highest));
  const T* in = x.data<T>();
  T* out = y.data<T>();
  // min(max(x, lo), hi) as NumPy's clip: NaN passes through; lo > hi gives hi everywhere.
  parallel_for(x.numel(), 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T v = in[i] < lo ? lo : in[i];
      out[i] = v > hi ? hi : v;
    }
  });
  return Status::Ok();
}

Status RunClip(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (IsNarrowFloat(x.dtype())) {
    // Bounds are the same narrow type as x; widened copies of everything run the float path.
    std::vector<Tensor> wide;
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      wide.push_back(ctx.has_input(i) ? WidenToFloat32(ctx.input(i)) : Tensor());
    }
    for (int i = 0; i < ctx.num_inputs(); ++i) ins.push_back(ctx.has_input(i) ? &wide[i] : nullptr);
    rt::KernelContext wctx(ctx.node(), ctx.opset(), ins,
                           {rt::TensorType{DType::kFloat32, true, x.shape()}},
                           [](DType d, const Shape& s, bool) { return Tensor::Zeros(d, s); });
    Tensor out = Tensor::Zeros(DType::kFloat32, x.shape());
    SAMQ_RETURN_IF_ERROR(ClipTyped<float>(wctx, wide[0], out));
    ctx.set_output(0, NarrowFromFloat32(out, x.dtype()));
    return Status::Ok();
  }
  Status st;
  bool done = VisitNativeNumeric(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    st = ClipTyped<T>(ctx, x, ctx.output(0));
  });
  if (!done) return ctx.Error("input type {} is not supported", dtype_name(x.dtype()));
  return st;
}

Status InferClip(rt::InferContext& ctx) {
  DType t = ctx.input_type(0).dtype;
  if (t != DType::kUndefined && !IsComputeType(t))
    return ctx.Error("input type {} is not supported; supported: float and integer types", dtype_name(t));
  SAMQ_RETURN_IF_ERROR(CheckSameInputDtypes(ctx, 0, 3));
  return InferSameAsInput(ctx);
}

// --- Max / Min / Sum / Mean -------------------------------------------------------------------

struct MaxOp {
  // NaN wins, as in NumPy's maximum.
  template <typename T> static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(b)) return b;
    return a < b ? b : a;
  }
};
struct MinOp {
  template <typename T> static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(b)) return b;
    return b < a ? b : a;
  }
};
struct SumOp {
  template <typename T> static T f(T a, T b) { return WrapAdd(a, b); }
};

// Folds every input into the output, left to right, each step broadcasting.
template <typename Op, typename T>
void FoldInputs(const std::vector<const Tensor*>& ins, Tensor& out) {
  auto f = [](T a, T b) { return Op::f(a, b); };
  if (ins.size() == 1) {
    // One input: broadcast against itself is a copy (the output has its shape).
    BinaryBroadcast<T, T, T>(*ins[0], *ins[0], out, [](T a, T) { return a; });
    return;
  }
  BinaryBroadcast<T, T, T>(*ins[0], *ins[1], out, f);
  for (size_t k = 2; k < ins.size(); ++k) BinaryBroadcast<T, T, T>(out, *ins[k], out, f);
}

template <typename Op>
Status RunVariadic(rt::KernelContext& ctx) {
  const bool mean = ctx.node().op_type == "Mean";
  const DType dt = ctx.input(0).dtype();
  std::vector<Tensor> wide;
  std::vector<const Tensor*> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) ins.push_back(&ctx.input(i));
  const bool narrow = IsNarrowFloat(dt);
  if (narrow) {
    for (const Tensor* t : ins) wide.push_back(WidenToFloat32(*t));
    for (size_t i = 0; i < ins.size(); ++i) ins[i] = &wide[i];
  }
  Tensor out = narrow ? Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims) : ctx.output(0);
  bool done = VisitNativeNumeric(narrow ? DType::kFloat32 : dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    FoldInputs<Op, T>(ins, out);
    if constexpr (std::is_floating_point_v<T>) {
      if (mean) {
        T* o = out.data<T>();
        const T count = static_cast<T>(ins.size());
        for (int64_t i = 0; i < out.numel(); ++i) o[i] /= count;
      }
    }
  });
  if (!done) return ctx.Error("input type {} is not supported", dtype_name(dt));
  if (narrow) ctx.set_output(0, NarrowFromFloat32(out, dt));
  return Status::Ok();
}

void RegisterVariadic(rt::OpRegistry& r, const std::string& name, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = 1;
  s.max_inputs = 1 << 16;
  const bool float_only = name == "Mean";
  s.infer = [float_only](rt::InferContext& ctx) -> Status {
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return ctx.Error("input {} is missing", i);
      DType t = ctx.input_type(i).dtype;
      if (t != DType::kUndefined && !(float_only ? dtype_is_float(t) : IsComputeType(t)))
        return ctx.Error("input type {} is not supported; supported: {}", dtype_name(t),
                         float_only ? "float types" : "float and integer types");
    }
    SAMQ_RETURN_IF_ERROR(CheckSameInputDtypes(ctx, 0, ctx.num_inputs()));
    return InferBroadcastOutput(ctx, 0, ctx.num_inputs(), ctx.input_type(0).dtype);
  };
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, std::move(run)));
  r.Register(std::move(s));
}

}  // namespace

void RegisterElementwiseMiscOps(rt::OpRegistry& r) {
  {
    rt::OpSchema s;
    s.op_type = "Where";
    s.min_inputs = s.max_inputs = 3;
    s.infer = InferWhere;
    s.kernels.push_back(rt::MakeStatelessKernel("ref.Where", RunWhere));
    r.Register(std::move(s));
  }
  {
    rt::OpSchema s;
    s.op_type = "Clip";
    s.min_inputs = 1;
    s.max_inputs = 3;
    s.infer = InferClip;
    s.kernels.push_back(rt::MakeStatelessKernel("ref.Clip", RunClip));
    r.Register(std::move(s));
  }
  RegisterVariadic(r, "Max", RunVariadic<MaxOp>);
  RegisterVariadic(r, "Min", RunVariadic<MinOp>);
  RegisterVariadic(r, "Sum", RunVariadic<SumOp>);
  RegisterVariadic(r, "Mean", RunVariadic<SumOp>);
}

}  // namespace samq::backends
