// BatchNormalization (inference: running statistics given as inputs) and InstanceNormalization.
// Both normalize per channel (dim 1); the per-channel parameters may have a wider dtype than X
// (opset 15 allows it), so they are read as float64.
#include <cmath>
#include <vector>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

std::vector<double> AsDoubles(const Tensor& t) { return t.AsDoubleVector(); }

// Checks that inputs [first, last] are 1-D with C values, where C is known.
Status CheckChannelParams(rt::InferContext& ctx, int first, int last) {
  const auto& x = ctx.input_type(0);
  if (x.rank_known && x.rank() < 2)
    return ctx.Error("input must have rank >= 2 (N, C, ...), got {}", x.str());
  const int64_t c = x.rank_known ? x.dims[1] : -1;
  for (int i = first; i <= last; ++i) {
    const auto& t = ctx.input_type(i);
    if (!t.rank_known) continue;
    if (t.rank() != 1 || (c >= 0 && t.dims[0] >= 0 && t.dims[0] != c))
      return ctx.Error("input {} has shape {}; expected 1-D with {} values (the channels)", i,
                       t.str(), c);
  }
  return Status::Ok();
}

Status InferBatchNorm(rt::InferContext& ctx) {
  if (ctx.node().attr_int("training_mode", 0) != 0)
    return ctx.Error("training_mode=1 is not supported; samq runs BatchNormalization in "
                     "inference mode only");
  for (int i = 1; i < ctx.num_outputs(); ++i)
    if (!ctx.node().outputs[i].empty())
      return ctx.Error("output {} (training statistics) is not supported; only Y is produced", i);
  SAMQ_RETURN_IF_ERROR(CheckChannelParams(ctx, 1, 4));
  return InferSameAsInput(ctx);
}

Status InferInstanceNorm(rt::InferContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckChannelParams(ctx, 1, 2));
  return InferSameAsInput(ctx);
}

// y = x * a[c] + b[c] over planes of `inner` elements, for each (n, c).
template <typename T>
void ApplyAffine(const Tensor& x, Tensor& y, const std::vector<double>& a,
                 const std::vector<double>& b) {
  const int64_t c = x.dim(1), planes = x.dim(0) * c;
  const int64_t inner = planes > 0 ? x.numel() / planes : 0;
  const T* px = x.data<T>();
  T* py = y.data<T>();
  parallel_for(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const double ap = a[p % c], bp = b[p % c];
      for (int64_t i = 0; i < inner; ++i)
        py[p * inner + i] = static_cast<T>(static_cast<double>(px[p * inner + i]) * ap + bp);
    }
  });
}

template <typename T>
void RunInstanceNormTyped(const Tensor& x, Tensor& y, const std::vector<double>& scale,
                          const std::vector<double>& bias, double eps) {
  const int64_t c = x.dim(1), planes = x.dim(0) * c;
  const int64_t inner = planes > 0 ? x.numel() / planes : 0;
  const T* px = x.data<T>();
  T* py = y.data<T>();
  parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const T* v = px + p * inner;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i) mean += static_cast<double>(v[i]);
      mean /= static_cast<double>(std::max<int64_t>(inner, 1));
      for (int64_t i = 0; i < inner; ++i) {
        const double d = static_cast<double>(v[i]) - mean;
        var += d * d;
      }
      var /= static_cast<double>(std::max<int64_t>(inner, 1));
      const double a = scale[p % c] / std::sqrt(var + eps);
      for (int64_t i = 0; i < inner; ++i)
        py[p * inner + i] = static_cast<T>((static_cast<double>(v[i]) - mean) * a + bias[p % c]);
    }
  });
}

// Runs fn(tag, x, y) for float dtypes, through float32 for fp16/bf16.
template <typename Fn>
Status DispatchFloat(rt::KernelContext& ctx, Fn&& fn) {
  const Tensor& x = ctx.input(0);
  const DType dt = x.dtype();
  if (IsNarrowFloat(dt)) {
    Tensor x32 = WidenToFloat32(x);
    Tensor y32 = Tensor::Zeros(DType::kFloat32, x.shape());
    fn(TypeTag<float>{}, x32, y32);
    ctx.set_output(0, NarrowFromFloat32(y32, dt));
    return Status::Ok();
  }
  if (!VisitNativeFloat(dt, [&](auto tag) { fn(tag, x, ctx.output(0)); }))
    return ctx.Error("dtype {} is not supported; supported: float32, float64, float16, bfloat16",
                     dtype_name(dt));
  return Status::Ok();
}

Status RunBatchNorm(rt::KernelContext& ctx) {
  const double eps = ctx.node().attr_float("epsilon", 1e-5f);
  const auto scale = AsDoubles(ctx.input(1)), bias = AsDoubles(ctx.input(2));
  const auto mean = AsDoubles(ctx.input(3)), var = AsDoubles(ctx.input(4));
  const size_t c = static_cast<size_t>(ctx.input(0).dim(1));
  if (scale.size() != c || bias.size() != c || mean.size() != c || var.size() != c)
    return ctx.Error("scale, B, mean and var must each have {} values (the channels)", c);
  // Folded per channel: y = x * a + b with a = scale / sqrt(var + eps), b = B - mean * a.
  std::vector<double> a(c), b(c);
  for (size_t i = 0; i < c; ++i) {
    a[i] = scale[i] / std::sqrt(var[i] + eps);
    b[i] = bias[i] - mean[i] * a[i];
  }
  return DispatchFloat(ctx, [&](auto tag, const Tensor& x, Tensor& y) {
    ApplyAffine<typename decltype(tag)::type>(x, y, a, b);
  });
}

Status RunInstanceNorm(rt::KernelContext& ctx) {
  const double eps = ctx.node().attr_float("epsilon", 1e-5f);
  const auto scale = AsDoubles(ctx.input(1)), bias = AsDoubles(ctx.input(2));
  const size_t c = static_cast<size_t>(ctx.input(0).dim(1));
  if (scale.size() != c || bias.size() != c)
    return ctx.Error("scale and B must each have {} values (the channels)", c);
  return DispatchFloat(ctx, [&](auto tag, const Tensor& x, Tensor& y) {
    RunInstanceNormTyped<typename decltype(tag)::type>(x, y, scale, bias, eps);
  });
}

}  // namespace

void RegisterNormOps(rt::OpRegistry& r) {
  rt::OpSchema bn;
  bn.op_type = "BatchNormalization";
  bn.min_inputs = bn.max_inputs = 5;
  bn.max_outputs = 5;  // opsets < 14 declare up to 5 (training) outputs; only Y is supported
  bn.infer = InferBatchNorm;
  bn.kernels.push_back(rt::MakeStatelessKernel("ref.BatchNormalization", RunBatchNorm));
  r.Register(std::move(bn));

  rt::OpSchema in;
  in.op_type = "InstanceNormalization";
  in.min_inputs = in.max_inputs = 3;
  in.infer = InferInstanceNorm;
  in.kernels.push_back(rt::MakeStatelessKernel("ref.InstanceNormalization", RunInstanceNorm));
  r.Register(std::move(in));
}

}  // namespace samq::backends
