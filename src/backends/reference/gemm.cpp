// Gemm: Y = alpha * A' * B' + beta * C, with A' = transA ? A^T : A (M x K), B' likewise (K x N),
// and the optional C broadcast unidirectionally to (M, N).
#include <algorithm>
#include <vector>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

Status InferGemm(rt::InferContext& ctx) {
  const auto& a = ctx.input_type(0);
  const auto& b = ctx.input_type(1);
  const DType dt = a.dtype != DType::kUndefined ? a.dtype : b.dtype;
  if (a.dtype != DType::kUndefined && b.dtype != DType::kUndefined && a.dtype != b.dtype)
    return ctx.Error("A and B have different dtypes {} and {}", dtype_name(a.dtype),
                     dtype_name(b.dtype));
  const bool ta = ctx.node().attr_int("transA", 0) != 0;
  const bool tb = ctx.node().attr_int("transB", 0) != 0;
  if (a.rank_known && a.rank() != 2) return ctx.Error("A must be 2-D, got {}", a.str());
  if (b.rank_known && b.rank() != 2) return ctx.Error("B must be 2-D, got {}", b.str());
  const int64_t m = a.rank_known ? a.dims[ta ? 1 : 0] : -1;
  const int64_t ka = a.rank_known ? a.dims[ta ? 0 : 1] : -1;
  const int64_t kb = b.rank_known ? b.dims[tb ? 1 : 0] : -1;
  const int64_t n = b.rank_known ? b.dims[tb ? 0 : 1] : -1;
  if (ka >= 0 && kb >= 0 && ka != kb)
    return ctx.Error("inner dims differ: A' is {}x{}, B' is {}x{} (transA={}, transB={})", m, ka,
                     kb, n, ta ? 1 : 0, tb ? 1 : 0);
  if (ctx.has_input(2)) {
    const auto& c = ctx.input_type(2);
    if (c.rank_known) {
      if (c.rank() > 2) return ctx.Error("C must have rank <= 2, got {}", c.str());
      // Unidirectional broadcast: each C dim is 1 or the matching output dim.
      const int64_t want[2] = {m, n};
      for (int64_t i = 0; i < c.rank(); ++i) {
        const int64_t cd = c.dims[i], od = want[2 - c.rank() + i];
        if (cd >= 0 && od >= 0 && cd != 1 && cd != od)
          return ctx.Error("C of shape {} does not broadcast to the output {}x{}", c.str(), m, n);
      }
    }
  }
  ctx.set_output(0, dt, {m, n});
  return Status::Ok();
}

template <typename T>
void RunGemmTyped(const ir::Node& node, const Tensor& a, const Tensor& b, const Tensor* c,
                  Tensor& y) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const bool ta = node.attr_int("transA", 0) != 0;
  const bool tb = node.attr_int("transB", 0) != 0;
  const Acc alpha = static_cast<Acc>(node.attr_float("alpha", 1.0f));
  const Acc beta = static_cast<Acc>(node.attr_float("beta", 1.0f));
  const int64_t m = y.dim(0), n = y.dim(1), k = a.dim(ta ? 0 : 1);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* py = y.data<T>();
  // Strides of A'(i, kk) and B'(kk, j) over the stored (possibly transposed) matrices.
  const int64_t a_si = ta ? 1 : k, a_sk = ta ? m : 1;
  const int64_t b_sk = tb ? 1 : n, b_sj = tb ? k : 1;
  // C's strides over (i, j): 0 along a broadcast dim.
  int64_t c_si = 0, c_sj = 0;
  if (c) {
    const int64_t cr = c->rank();
    const int64_t cm = cr == 2 ? c->dim(0) : 1, cn = cr >= 1 ? c->dim(cr - 1) : 1;
    c_si = cm == 1 ? 0 : cn;
    c_sj = cn == 1 ? 0 : 1;
  }
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, k * n));
  parallel_for(m, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        Acc acc = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          acc = WrapAdd<Acc>(acc, WrapMul<Acc>(static_cast<Acc>(pa[i * a_si + kk * a_sk]),
                                               static_cast<Acc>(pb[kk * b_sk + j * b_sj])));
        Acc v = WrapMul<Acc>(alpha, acc);
        if (c) v = WrapAdd<Acc>(v, WrapMul<Acc>(beta, static_cast<Acc>(c->data<T>()[i * c_si + j * c_sj])));
        py[i * n + j] = static_cast<T>(v);
      }
    }
  });
}

Status RunGemm(rt::KernelContext& ctx) {
  const DType dt = ctx.input(0).dtype();
  const Tensor* c = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (c && c->dtype() != dt)
    return ctx.Error("C has dtype {}, A has {}", dtype_name(c->dtype()), dtype_name(dt));
  if (IsNarrowFloat(dt)) {
    Tensor a32 = WidenToFloat32(ctx.input(0)), b32 = WidenToFloat32(ctx.input(1));
    Tensor c32 = c ? WidenToFloat32(*c) : Tensor();
    Tensor y32 = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    RunGemmTyped<float>(ctx.node(), a32, b32, c ? &c32 : nullptr, y32);
    ctx.set_output(0, NarrowFromFloat32(y32, dt));
    return Status::Ok();
  }
  bool handled = false;
  VisitNativeNumeric(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (sizeof(T) >= 4) {
      RunGemmTyped<T>(ctx.node(), ctx.input(0), ctx.input(1), c, ctx.output(0));
      handled = true;
    }
  });
  if (!handled)
    return ctx.Error("dtype {} is not supported; supported: float32, float64, float16, bfloat16, "
                     "int32, int64, uint32, uint64",
                     dtype_name(dt));
  return Status::Ok();
}

}  // namespace

rt::KernelCandidate RefGemmCandidate() { return rt::MakeStatelessKernel("ref.Gemm", RunGemm); }

void RegisterGemmOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Gemm";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.infer = InferGemm;
  s.kernels.push_back(RefGemmCandidate());
  r.Register(std::move(s));
}

}  // namespace samq::backends
