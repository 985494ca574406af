// Reduce* ops (Mean, Max, Min, Sum, Prod, L1, L2, SumSquare, LogSum, LogSumExp) and
// ArgMax / ArgMin.
//
// Axes come from the `axes` attribute (ReduceSum before opset 13, the others before 18) or from
// the optional second input (after); both forms are accepted at any opset. An empty axes list
// reduces everything unless noop_with_empty_axes=1, which makes the op an identity.
// Float inputs accumulate in double, integer inputs in int64 (sums wrap).
#include <cmath>
#include <limits>
#include <optional>
#include <set>
#include <string>

#include "backends/reference/broadcast_iter.h"
#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/reference_families.h"
#include "core/float_convert.h"

namespace samq::backends {
namespace {

enum class Reduce { kMean, kMax, kMin, kSum, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

struct ReducedAxes {
  bool known = false;  // false: the axes input is not a constant yet
  bool noop = false;   // empty axes with noop_with_empty_axes=1
  std::vector<bool> reduce;  // per input dim
};

// Resolves which dims are reduced; `rank` must be known.
Result<ReducedAxes> ResolveAxes(const ir::Node& node, int64_t rank, bool has_axes_input,
                                const Tensor* axes_value) {
  ReducedAxes out;
  std::vector<int64_t> axes;
  if (has_axes_input) {
    if (!axes_value) return out;  // known = false
    axes = axes_value->AsInt64Vector();
    if (axes.empty() && axes_value->numel() != 0)
      return Status::UserF("{}: axes must be int64, got {}", node.describe(), dtype_name(axes_value->dtype()));
  } else {
    axes = node.attr_ints("axes");
  }
  out.known = true;
  out.reduce.assign(rank, false);
  if (axes.empty()) {
    if (node.attr_int("noop_with_empty_axes", 0) != 0) out.noop = true;
    else out.reduce.assign(rank, true);
    return out;
  }
  for (int64_t a : axes) {
    auto n = NormalizeAxis(a, rank);
    if (!n) return Status::UserF("{}: axis {} is out of range for rank {}", node.describe(), a, rank);
    if (out.reduce[*n]) return Status::UserF("{}: axis {} is listed twice", node.describe(), a);
    out.reduce[*n] = true;
  }
  return out;
}

Shape ReducedShape(const Shape& in, const std::vector<bool>& reduce, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!reduce[i]) out.push_back(in[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

bool ReduceTypeOk(DType t) {
  return dtype_is_float(t) || (dtype_is_integer(t) && t != DType::kInt4 && t != DType::kUInt4);
}

// ReduceMax / ReduceMin also take bool (opset 20): logical or / and.
bool BoolReduceOk(const ir::Node& node) { return node.op_type == "ReduceMax" || node.op_type == "ReduceMin"; }

Status InferReduce(rt::InferContext& ctx) {
  const auto& in = ctx.input_type(0);
  const bool bool_ok = in.dtype == DType::kBool && BoolReduceOk(ctx.node());
  if (in.dtype != DType::kUndefined && !ReduceTypeOk(in.dtype) && !bool_ok)
    return ctx.Error("input type {} is not supported; supported: float and integer types", dtype_name(in.dtype));
  const bool keepdims = ctx.node().attr_int("keepdims", 1) != 0;
  if (!in.rank_known) {
    ctx.set_output_unknown_rank(0, in.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(ReducedAxes ax, ResolveAxes(ctx.node(), in.rank(), ctx.has_input(1), ctx.input_value(1)));
  if (!ax.known) {
    if (keepdims) ctx.set_output(0, in.dtype, Shape(in.rank(), -1));
    else ctx.set_output_unknown_rank(0, in.dtype);
    return Status::Ok();
  }
  ctx.set_output(0, in.dtype, ax.noop ? in.dims : ReducedShape(in.dims, ax.reduce, keepdims));
  return Status::Ok();
}

// Reduces x (native type T) into acc, laid out as the keepdims output. Acc: double or int64.
template <typename T, typename Acc>
void Accumulate(Reduce op, const Tensor& x, const Shape& keep_shape, std::vector<Acc>& acc,
                const std::vector<Acc>* max_for_lse) {
  BroadcastPlan p = MakeBroadcastPlan(x.shape(), {&keep_shape});
  const T* in = x.data<T>();
  const int64_t so = p.inner_stride(0);
  ForEachBroadcastRun(p, 0, p.numel, [&](int64_t off, const auto& offs, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const Acc v = static_cast<Acc>(in[off + i]);
      Acc& a = acc[offs[0] + i * so];
      switch (op) {
        case Reduce::kMean: case Reduce::kSum: case Reduce::kLogSum: a = WrapAdd(a, v); break;
        case Reduce::kProd: a = WrapMul(a, v); break;
        case Reduce::kMax:
          if (v > a || v != v) a = v;  // v != v: NaN propagates
          break;
        case Reduce::kMin:
          if (v < a || v != v) a = v;
          break;
        case Reduce::kL1: a = WrapAdd(a, v < Acc(0) ? WrapSub(Acc(0), v) : v); break;
        case Reduce::kL2: case Reduce::kSumSquare: a = WrapAdd(a, WrapMul(v, v)); break;
        case Reduce::kLogSumExp:
          a += static_cast<Acc>(std::exp(static_cast<double>(v - (*max_for_lse)[offs[0] + i * so])));
          break;
      }
    }
  });
}

template <typename T>
void ReduceTyped(Reduce op, const Tensor& x, const Shape& keep_shape, Tensor& y) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  const int64_t n_out = shape_numel(keep_shape);
  const int64_t count = n_out == 0 ? 0 : x.numel() / std::max<int64_t>(n_out, 1);
  Acc init = 0;
  if (op == Reduce::kProd) init = 1;
  if (op == Reduce::kMax || op == Reduce::kLogSumExp)
    init = std::is_floating_point_v<T> ? -std::numeric_limits<Acc>::infinity()
                                       : static_cast<Acc>(std::numeric_limits<T>::lowest());
  if (op == Reduce::kMin)
    init = std::is_floating_point_v<T> ? std::numeric_limits<Acc>::infinity()
                                       : static_cast<Acc>(std::numeric_limits<T>::max());
  std::vector<Acc> acc(n_out, init);
  std::vector<Acc> maxes;
  if (op == Reduce::kLogSumExp) {
    // log(sum(exp(x))) = m + log(sum(exp(x - m))) with m the max: no overflow.
    Accumulate<T, Acc>(Reduce::kMax, x, keep_shape, acc, nullptr);
    maxes = acc;
    for (auto& m : maxes) if (std::isinf(static_cast<double>(m))) m = 0;
    std::fill(acc.begin(), acc.end(), Acc(0));
  }
  Accumulate<T, Acc>(op, x, keep_shape, acc, &maxes);
  T* out = y.data<T>();
  for (int64_t i = 0; i < n_out; ++i) {
    Acc a = acc[i];
    switch (op) {
      case Reduce::kMean:
        if constexpr (std::is_floating_point_v<T>) a = a / static_cast<Acc>(count);  // 0/0 = NaN
        else a = count ? a / count : 0;
        break;
      case Reduce::kL2: a = static_cast<Acc>(std::sqrt(static_cast<double>(a))); break;
      case Reduce::kLogSum: a = static_cast<Acc>(std::log(static_cast<double>(a))); break;
      case Reduce::kLogSumExp:
        a = static_cast<Acc>(std::log(static_cast<double>(a)) + static_cast<double>(maxes[i]));
        break;
      default: break;
    }
    out[i] = static_cast<T>(a);
  }
}

Status RunReduce(rt::KernelContext& ctx, Reduce op) {
  const Tensor& x = ctx.input(0);
  SAMQ_ASSIGN_OR_RETURN(ReducedAxes ax, ResolveAxes(ctx.node(), x.rank(), ctx.has_input(1),
                                                   ctx.has_input(1) ? &ctx.input(1) : nullptr));
  if (ax.noop) {
    ctx.set_output(0, x);
    return Status::Ok();
  }
  const Shape keep = ReducedShape(x.shape(), ax.reduce, true);
  const Shape& out_shape = ctx.output_type(0).dims;
  if (IsNarrowFloat(x.dtype())) {
    Tensor wide = Tensor::Zeros(DType::kFloat32, keep);
    ReduceTyped<float>(op, WidenToFloat32(x), keep, wide);
    ctx.set_output(0, NarrowFromFloat32(wide, x.dtype()).Reshaped(out_shape));
    return Status::Ok();
  }
  Tensor& y = ctx.output(0);
  if (x.dtype() == DType::kBool) {
    // bool is one byte of 0/1: max over bytes is "any"; min is "all" once the empty-set
    // identity (255) is clamped back to true.
    const Tensor bytes(DType::kUInt8, x.shape(), x.buffer(), x.buffer() ? static_cast<size_t>(static_cast<const char*>(x.raw()) - static_cast<const char*>(x.buffer()->data())) : 0);
    Tensor out = Tensor::Zeros(DType::kUInt8, keep);
    ReduceTyped<uint8_t>(op, bytes, keep, out);
    uint8_t* o = out.data<uint8_t>();
    for (int64_t i = 0; i < out.numel(); ++i) o[i] = o[i] != 0;
    ctx.set_output(0, Tensor(DType::kBool, out_shape, out.buffer()));
    return Status::Ok();
  }
  bool done = VisitNativeNumeric(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    ReduceTyped<T>(op, x, keep, y);
  });
  if (!done) return ctx.Error("input type {} is not supported", dtype_name(x.dtype()));
  return Status::Ok();
}

// --- ArgMax / ArgMin --------------------------------------------------------------------------

Status InferArg(rt::InferContext& ctx) {
  const auto& in = ctx.input_type(0);
  if (in.dtype != DType::kUndefined && !ReduceTypeOk(in.dtype))
    return ctx.Error("input type {} is not supported", dtype_name(in.dtype));
  if (!in.rank_known) {
    ctx.set_output_unknown_rank(0, DType::kInt64);
    return Status::Ok();
  }
  const int64_t axis_attr = ctx.node().attr_int("axis", 0);
  auto axis = NormalizeAxis(axis_attr, in.rank());
  if (!axis) return ctx.Error("axis {} is out of range for rank {}", axis_attr, in.rank());
  if (in.dims[*axis] == 0) return ctx.Error("axis {} has size 0: there is no element to select", axis_attr);
  std::vector<bool> reduce(in.rank(), false);
  reduce[*axis] = true;
  ctx.set_output(0, DType::kInt64, ReducedShape(in.dims, reduce, ctx.node().attr_int("keepdims", 1) != 0));
  return Status::Ok();
}

Status RunArg(rt::KernelContext& ctx, bool is_max) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = *NormalizeAxis(ctx.node().attr_int("axis", 0), x.rank());
  const bool last = ctx.node().attr_int("select_last_index", 0) != 0;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  for (int64_t i = axis + 1; i < x.rank(); ++i) inner *= x.dim(i);
  const int64_t len = x.dim(axis);
  int64_t* y = ctx.output(0).data<int64_t>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      int64_t best = 0;
      double bv = element_as_double(x.dtype(), x.raw(), o * len * inner + in);
      for (int64_t k = 1; k < len && bv == bv; ++k) {  // a NaN is the answer once found (NumPy)
        double v = element_as_double(x.dtype(), x.raw(), (o * len + k) * inner + in);
        bool better = v != v || (is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv));
        if (better) {
          best = k;
          bv = v;
        }
      }
      y[o * inner + in] = best;
    }
  }
  return Status::Ok();
}

void RegisterReduce(rt::OpRegistry& r, const std::string& name, Reduce op) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = 1;
  s.max_inputs = 2;
  s.infer = InferReduce;
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, [op](rt::KernelContext& ctx) {
    return RunReduce(ctx, op);
  }));
  r.Register(std::move(s));
}

void RegisterArg(rt::OpRegistry& r, const std::string& name, bool is_max) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = s.max_inputs = 1;
  s.infer = InferArg;
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, [is_max](rt::KernelContext& ctx) {
    return RunArg(ctx, is_max);
  }));
  r.Register(std::move(s));
}

}  // namespace

void RegisterReduceOps(rt::OpRegistry& r) {
  RegisterReduce(r, "ReduceMean", Reduce::kMean);
  RegisterReduce(r, "ReduceMax", Reduce::kMax);
  RegisterReduce(r, "ReduceMin", Reduce::kMin);
  RegisterReduce(r, "ReduceSum", Reduce::kSum);
  RegisterReduce(r, "ReduceProd", Reduce::kProd);
  RegisterReduce(r, "ReduceL1", Reduce::kL1);
  RegisterReduce(r, "ReduceL2", Reduce::kL2);
  RegisterReduce(r, "ReduceSumSquare", Reduce::kSumSquare);
  RegisterReduce(r, "ReduceLogSum", Reduce::kLogSum);
  RegisterReduce(r, "ReduceLogSumExp", Reduce::kLogSumExp);
  RegisterArg(r, "ArgMax", true);
  RegisterArg(r, "ArgMin", false);
}

}  // namespace samq::backends
