// LayerNormalization (opset 17): normalize over dims [axis, rank), then scale and shift.
//
// Y = (X - mean) / sqrt(var + epsilon) * Scale + B, with mean and (biased) variance over the
// normalized dims. The optional outputs Mean and InvStdDev have shape dims[:axis] + [1, ...] and
// the stash_type dtype. The reference computes in double (two passes: mean, then the centred
// variance), so it is the accurate twin of any faster float kernel.
#include <cmath>
#include <string>

#include "backends/reference/broadcast_iter.h"
#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/reference_families.h"
#include "core/float_convert.h"

namespace samq::backends {
namespace {

// Scale or bias expanded to the normalized shape (length N), as doubles. The tensor's shape is
// right-aligned against the normalized dims and must broadcast onto them.
Result<std::vector<double>> ExpandToNormalized(const rt::KernelContext& ctx, const Tensor& t,
                                               const Shape& norm, const char* what) {
  Shape s = t.shape();
  while (s.size() > norm.size() && s.front() == 1) s.erase(s.begin());
  bool ok = s.size() <= norm.size();
  for (size_t i = 0; ok && i < s.size(); ++i) {
    int64_t d = norm[norm.size() - s.size() + i];
    ok = s[i] == d || s[i] == 1;
  }
  if (!ok)
    return ctx.Error("{} of shape {} does not broadcast to the normalized shape {}", what,
                     shape_str(t.shape()), shape_str(norm));
  std::vector<double> out(shape_numel(norm));
  BroadcastPlan p = MakeBroadcastPlan(norm, {&s});
  ForEachBroadcastRun(p, 0, p.numel, [&](int64_t o, const auto& offs, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      out[o + i] = element_as_double(t.dtype(), t.raw(), offs[0] + i * p.inner_stride(0));
  });
  return out;
}

Result<DType> StashType(const ir::Node& node) {
  const int64_t code = node.attr_int("stash_type", 1);
  auto t = dtype_from_onnx(static_cast<int32_t>(code));
  if (!t || !dtype_is_float(*t))
    return Status::UserF("{}: stash_type {} is not supported; supported: float types (1 = float32)",
                         node.describe(), code);
  return *t;
}

Status InferLayerNorm(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  if (x.dtype != DType::kUndefined && !dtype_is_float(x.dtype))
    return ctx.Error("input type {} is not supported; supported: float types", dtype_name(x.dtype));
  SAMQ_ASSIGN_OR_RETURN(DType stash, StashType(ctx.node()));
  SAMQ_RETURN_IF_ERROR(InferSameAsInput(ctx));
  if (!x.rank_known) {
    for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output_unknown_rank(i, stash);
    return Status::Ok();
  }
  const int64_t axis_attr = ctx.node().attr_int("axis", -1);
  auto axis = NormalizeAxis(axis_attr, x.rank());
  if (!axis) return ctx.Error("axis {} is out of range for rank {}", axis_attr, x.rank());
  Shape stat_shape(x.dims.begin(), x.dims.begin() + *axis);
  stat_shape.resize(x.dims.size(), 1);
  for (int i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, stash, stat_shape);
  return Status::Ok();
}

template <typename T>
void NormalizeRows(const T* x, T* y, int64_t outer, int64_t n, double eps,
                   const std::vector<double>& scale, const std::vector<double>* bias,
                   std::vector<double>& means, std::vector<double>& inv_stds) {
  parallel_for(outer, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const T* xr = x + o * n;
      T* yr = y + o * n;
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) sum += xr[k];
      const double mean = n ? sum / n : 0.0;
      double sq = 0;
      for (int64_t k = 0; k < n; ++k) {
        double d = xr[k] - mean;
        sq += d * d;
      }
      const double inv = 1.0 / std::sqrt((n ? sq / n : 0.0) + eps);
      for (int64_t k = 0; k < n; ++k) {
        double v = (xr[k] - mean) * inv * scale[k];
        if (bias) v += (*bias)[k];
        yr[k] = static_cast<T>(v);
      }
      means[o] = mean;
      inv_stds[o] = inv;
    }
  });
}

Status RunLayerNorm(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t axis = *NormalizeAxis(ctx.node().attr_int("axis", -1), x.rank());
  const double eps = ctx.node().attr_float("epsilon", 1e-5f);
  const Shape norm(x.shape().begin() + axis, x.shape().end());
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
  const int64_t n = shape_numel(norm);

  SAMQ_ASSIGN_OR_RETURN(std::vector<double> scale, ExpandToNormalized(ctx, ctx.input(1), norm, "Scale"));
  std::vector<double> bias;
  if (ctx.has_input(2)) {
    SAMQ_ASSIGN_OR_RETURN(bias, ExpandToNormalized(ctx, ctx.input(2), norm, "B"));
  }
  const std::vector<double>* bias_ptr = ctx.has_input(2) ? &bias : nullptr;
  std::vector<double> means(outer), inv_stds(outer);

  if (IsNarrowFloat(x.dtype())) {
    Tensor wide = WidenToFloat32(x);
    Tensor out = Tensor::Zeros(DType::kFloat32, x.shape());
    NormalizeRows<float>(wide.data<float>(), out.data<float>(), outer, n, eps, scale, bias_ptr, means, inv_stds);
    ctx.set_output(0, NarrowFromFloat32(out, x.dtype()));
  } else {
    bool done = VisitNativeFloat(x.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      NormalizeRows<T>(x.data<T>(), ctx.output(0).data<T>(), outer, n, eps, scale, bias_ptr, means, inv_stds);
    });
    if (!done) return ctx.Error("input type {} is not supported", dtype_name(x.dtype()));
  }
  // Optional statistics outputs (an empty name in the node means "not requested").
  for (int i = 1; i < ctx.num_outputs(); ++i) {
    if (ctx.node().outputs[i].empty()) continue;
    const std::vector<double>& src = i == 1 ? means : inv_stds;
    Tensor& t = ctx.output(i);
    for (int64_t o = 0; o < outer; ++o) element_from_double(t.dtype(), t.raw(), o, src[o]);
  }
  return Status::Ok();
}

}  // namespace

void RegisterLayerNormOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "LayerNormalization";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.min_outputs = 1;
  s.max_outputs = 3;
  s.infer = InferLayerNorm;
  s.kernels.push_back(rt::MakeStatelessKernel("ref.LayerNormalization", RunLayerNorm));
  r.Register(std::move(s));
}

}  // namespace samq::backends
