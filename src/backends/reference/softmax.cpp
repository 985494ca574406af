// Softmax, LogSoftmax and Hardmax, with both axis semantics:
// - opset < 13: the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] and each row
//   is normalized (axis defaults to 1);
// - opset >= 13: only dim `axis` is normalized (axis defaults to -1).
// Either way the work is (outer, n, inner): `n` elements at stride `inner` per group. The max is
// subtracted before exp (no overflow); sums accumulate in double.
#include <cmath>
#include <limits>
#include <string>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/reference_families.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

enum class Kind { kSoftmax, kLogSoftmax, kHardmax };

struct Groups {
  int64_t outer = 1, n = 1, inner = 1;
};

Result<Groups> MakeGroups(const ir::Node& node, int64_t opset, const Shape& dims) {
  const int64_t rank = static_cast<int64_t>(dims.size());
  const bool legacy = opset > 0 && opset < 13;
  const int64_t axis_attr = node.attr_int("axis", legacy ? 1 : -1);
  // A scalar is treated as one group of one element.
  if (rank == 0) return Groups{};
  auto axis = NormalizeAxis(axis_attr, rank);
  if (!axis) return Status::UserF("{}: axis {} is out of range for rank {}", node.describe(), axis_attr, rank);
  Groups g;
  for (int64_t i = 0; i < *axis; ++i) g.outer *= dims[i];
  if (legacy) {
    for (int64_t i = *axis; i < rank; ++i) g.n *= dims[i];
  } else {
    g.n = dims[*axis];
    for (int64_t i = *axis + 1; i < rank; ++i) g.inner *= dims[i];
  }
  return g;
}

template <typename T>
void NormalizeGroup(Kind kind, const T* x, T* y, int64_t n, int64_t stride) {
  if (n == 0) return;
  T m = x[0];
  int64_t arg = 0;
  for (int64_t k = 1; k < n; ++k) {
    if (x[k * stride] > m) {
      m = x[k * stride];
      arg = k;
    }
  }
  if (kind == Kind::kHardmax) {
    // One-hot of the first maximum.
    for (int64_t k = 0; k < n; ++k) y[k * stride] = k == arg ? T(1) : T(0);
    return;
  }
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) {
    T e = std::exp(x[k * stride] - m);
    if (kind == Kind::kSoftmax) y[k * stride] = e;
    sum += e;
  }
  if (kind == Kind::kSoftmax) {
    const T inv = static_cast<T>(1.0 / sum);
    for (int64_t k = 0; k < n; ++k) y[k * stride] *= inv;
  } else {
    const T log_sum = static_cast<T>(std::log(sum));
    for (int64_t k = 0; k < n; ++k) y[k * stride] = x[k * stride] - m - log_sum;
  }
}

template <typename T>
void SoftmaxTyped(Kind kind, const Groups& g, const T* x, T* y) {
  const int64_t groups = g.outer * g.inner;
  parallel_for(groups, std::max<int64_t>(1, 4096 / std::max<int64_t>(g.n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t gi = b; gi < e; ++gi) {
      const int64_t o = gi / g.inner, in = gi % g.inner;
      const int64_t base = o * g.n * g.inner + in;
      NormalizeGroup<T>(kind, x + base, y + base, g.n, g.inner);
    }
  });
}

Status RunSoftmax(rt::KernelContext& ctx, Kind kind) {
  const Tensor& x = ctx.input(0);
  SAMQ_ASSIGN_OR_RETURN(Groups g, MakeGroups(ctx.node(), ctx.opset(), x.shape()));
  if (IsNarrowFloat(x.dtype())) {
    Tensor wide = WidenToFloat32(x);
    Tensor out = Tensor::Zeros(DType::kFloat32, x.shape());
    SoftmaxTyped<float>(kind, g, wide.data<float>(), out.data<float>());
    ctx.set_output(0, NarrowFromFloat32(out, x.dtype()));
    return Status::Ok();
  }
  bool done = VisitNativeFloat(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    SoftmaxTyped<T>(kind, g, x.data<T>(), ctx.output(0).data<T>());
  });
  if (!done) return ctx.Error("input type {} is not supported; supported: float types", dtype_name(x.dtype()));
  return Status::Ok();
}

Status InferSoftmax(rt::InferContext& ctx) {
  const auto& in = ctx.input_type(0);
  if (in.dtype != DType::kUndefined && !dtype_is_float(in.dtype))
    return ctx.Error("input type {} is not supported; supported: float types", dtype_name(in.dtype));
  if (in.rank_known) SAMQ_RETURN_IF_ERROR(MakeGroups(ctx.node(), ctx.opset(), Shape(in.rank(), 1)).status());
  return InferSameAsInput(ctx);
}

void Register(rt::OpRegistry& r, const std::string& name, Kind kind) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = s.max_inputs = 1;
  s.infer = InferSoftmax;
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, [kind](rt::KernelContext& ctx) {
    return RunSoftmax(ctx, kind);
  }));
  r.Register(std::move(s));
}

}  // namespace

void RegisterSoftmaxOps(rt::OpRegistry& r) {
  Register(r, "Softmax", Kind::kSoftmax);
  Register(r, "LogSoftmax", Kind::kLogSoftmax);
  Register(r, "Hardmax", Kind::kHardmax);
}

}  // namespace samq::backends
