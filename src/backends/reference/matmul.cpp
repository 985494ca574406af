// MatMul (numpy.matmul semantics): [..., M, K] x [..., K, N] -> [..., M, N] with the batch dims
// broadcast; a 1-D first operand is a row vector and a 1-D second operand a column vector, and
// the dim they add is dropped from the result.
//
// The reference kernel is a plain row-times-matrix loop with a float64 accumulator for float
// inputs (so it is a better oracle than any float32 GEMM) and wrapping arithmetic for integers.
#include <algorithm>
#include <vector>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

Status InferMatMul(rt::InferContext& ctx) {
  const auto& a = ctx.input_type(0);
  const auto& b = ctx.input_type(1);
  if (a.dtype != DType::kUndefined && b.dtype != DType::kUndefined && a.dtype != b.dtype)
    return ctx.Error("operands have different dtypes {} and {}", dtype_name(a.dtype),
                     dtype_name(b.dtype));
  const DType dt = a.dtype != DType::kUndefined ? a.dtype : b.dtype;
  if (!a.rank_known || !b.rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::Ok();
  }
  if (a.rank() == 0 || b.rank() == 0) return ctx.Error("operands must have rank >= 1, not scalars");
  Shape ad = a.dims, bd = b.dims;
  if (a.rank() == 1) ad.insert(ad.begin(), 1);
  if (b.rank() == 1) bd.push_back(1);
  const int64_t ka = ad.back(), kb = bd[bd.size() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    return ctx.Error("inner dims differ: {} x {} (K = {} vs {})", a.str(), b.str(), ka, kb);
  std::string why;
  auto batch = BroadcastShapes(Shape(ad.begin(), ad.end() - 2), Shape(bd.begin(), bd.end() - 2), &why);
  if (!batch) return ctx.Error("batch dims do not broadcast: {}", why);
  Shape out = *batch;
  if (a.rank() > 1) out.push_back(ad[ad.size() - 2]);
  if (b.rank() > 1) out.push_back(bd.back());
  ctx.set_output(0, dt, out);
  return Status::Ok();
}

// Concrete problem: a batch of (M x K) * (K x N) products with element offsets per batch entry.
struct MatMulProblem {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> a_offsets, b_offsets;  // one per output batch entry
};

MatMulProblem PlanMatMul(const Shape& a_shape, const Shape& b_shape) {
  Shape ad = a_shape, bd = b_shape;
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  MatMulProblem p;
  p.m = ad[ad.size() - 2];
  p.k = ad.back();
  p.n = bd.back();
  const size_t rank = std::max(ad.size(), bd.size()) - 2;
  // Batch dims right-aligned; a broadcast dim (size 1 on one side) does not advance that side.
  Shape batch(rank), astr(rank, 0), bstr(rank, 0);
  int64_t as = p.m * p.k, bs = p.k * p.n;
  for (size_t j = 0; j < rank; ++j) {
    const size_t i = rank - 1 - j;
    const int64_t da = j < ad.size() - 2 ? ad[ad.size() - 3 - j] : 1;
    const int64_t db = j < bd.size() - 2 ? bd[bd.size() - 3 - j] : 1;
    batch[i] = std::max(da, db);
    if (da == 0 || db == 0) batch[i] = 0;
    astr[i] = da == 1 ? 0 : as;
    bstr[i] = db == 1 ? 0 : bs;
    as *= da;
    bs *= db;
  }
  const int64_t nb = shape_numel(batch);
  p.a_offsets.resize(nb);
  p.b_offsets.resize(nb);
  for (int64_t flat = 0; flat < nb; ++flat) {
    int64_t rem = flat, ao = 0, bo = 0;
    for (size_t j = 0; j < rank; ++j) {
      const size_t i = rank - 1 - j;
      const int64_t idx = rem % batch[i];
      rem /= batch[i];
      ao += idx * astr[i];
      bo += idx * bstr[i];
    }
    p.a_offsets[flat] = ao;
    p.b_offsets[flat] = bo;
  }
  return p;
}

template <typename T>
void RunMatMulTyped(const MatMulProblem& p, const T* a, const T* b, T* y) {
  // float inputs accumulate in double; integers wrap in their own type like numpy.
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const int64_t rows = static_cast<int64_t>(p.a_offsets.size()) * p.m;
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, p.k * p.n));
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<Acc> acc(p.n);
    for (int64_t r = begin; r < end; ++r) {
      const int64_t bi = r / p.m, i = r % p.m;
      const T* arow = a + p.a_offsets[bi] + i * p.k;
      const T* bmat = b + p.b_offsets[bi];
      std::fill(acc.begin(), acc.end(), Acc(0));
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const Acc av = static_cast<Acc>(arow[kk]);
        const T* brow = bmat + kk * p.n;
        for (int64_t j = 0; j < p.n; ++j)
          acc[j] = WrapAdd<Acc>(acc[j], WrapMul<Acc>(av, static_cast<Acc>(brow[j])));
      }
      T* yrow = y + r * p.n;
      for (int64_t j = 0; j < p.n; ++j) yrow[j] = static_cast<T>(acc[j]);
    }
  });
}

Status RunMatMul(rt::KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const MatMulProblem p = PlanMatMul(a.shape(), b.shape());
  const DType dt = a.dtype();
  if (IsNarrowFloat(dt)) {
    // fp16/bf16: compute in float32 (the float64 accumulator keeps it exact enough) and round.
    Tensor a32 = WidenToFloat32(a), b32 = WidenToFloat32(b);
    Tensor y32 = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    RunMatMulTyped<float>(p, a32.data<float>(), b32.data<float>(), y32.data<float>());
    ctx.set_output(0, NarrowFromFloat32(y32, dt));
    return Status::Ok();
  }
  Tensor& y = ctx.output(0);
  bool handled = false;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (sizeof(T) >= 4) {
      RunMatMulTyped<T>(p, a.data<T>(), b.data<T>(), y.data<T>());
      handled = true;
    }
  };
  VisitNativeNumeric(dt, run);
  if (!handled)
    return ctx.Error("dtype {} is not supported; supported: float32, float64, float16, bfloat16, "
                     "int32, int64, uint32, uint64",
                     dtype_name(dt));
  return Status::Ok();
}

}  // namespace

rt::KernelCandidate RefMatMulCandidate() { return rt::MakeStatelessKernel("ref.MatMul", RunMatMul); }

void RegisterMatMulOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "MatMul";
  s.min_inputs = s.max_inputs = 2;
  s.infer = InferMatMul;
  s.kernels.push_back(RefMatMulCandidate());
  r.Register(std::move(s));
}

}  // namespace samq::backends
