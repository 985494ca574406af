// com.samq Attention: schema, shape inference and the reference kernel (see sam_attention.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/sam_attention.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

// Checks a full bias's dims against Q's (see sam_attention.h): last two [Nq, Nk], leading dims
// after leading 1s equal to Q's innermost batch dims. Empty when they fit, else the reason.
std::string BiasMismatch(const Shape& bias, const Shape& q, int64_t nk) {
  const size_t r = q.size();
  if (bias.size() < 2 || bias.size() > r) return "rank differs";
  if (bias[bias.size() - 2] != q[r - 2] || bias.back() != nk) return "last two dims are not [Nq, Nk]";
  size_t lead = 0;
  while (lead + 2 < bias.size() && bias[lead] == 1) ++lead;
  const size_t nbd = bias.size() - 2 - lead;  // bias batch dims that must match Q's innermost
  for (size_t i = 0; i < nbd; ++i)
    if (bias[lead + i] != q[r - 2 - nbd + i]) return "batch dims do not match Q's innermost ones";
  return "";
}

// Infers Y's type; every mismatch between the operands is a user error naming the dims.
Status InferAttention(rt::InferContext& ctx) {
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const DType t = ctx.input_type(i).dtype;
    if (t != DType::kUndefined && t != DType::kFloat32)
      return ctx.Error("input {} has type {}; supported: float32", i, dtype_name(t));
  }
  const bool rel = ctx.num_inputs() > 3 && ctx.has_input(3);
  if (rel != (ctx.num_inputs() > 4 && ctx.has_input(4)))
    return ctx.Error("rel_h and rel_w must be given together");
  const bool has_bias = ctx.num_inputs() > 5 && ctx.has_input(5);
  const bool kt = ctx.node().attr_int("k_transposed", 0) != 0;
  const auto& q = ctx.input_type(0);
  const auto& k = ctx.input_type(1);
  const auto& v = ctx.input_type(2);
  for (int i = 0; i < 3; ++i) {
    const auto& t = ctx.input_type(i);
    if (t.rank_known && t.rank() < 3) return ctx.Error("input {} has rank {}; expected >= 3", i, t.rank());
    if (t.rank_known && q.rank_known && t.rank() != q.rank())
      return ctx.Error("input {} has rank {}; Q has {}", i, t.rank(), q.rank());
  }
  if (rel) {
    for (int i = 3; i < 5; ++i)
      if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 4)
        return ctx.Error("input {} has rank {}; expected 4", i, ctx.input_type(i).rank());
    if (q.rank_known && q.rank() != 3) return ctx.Error("rel_h/rel_w need rank-3 Q, K and V");
  }
  if (!q.rank_known || !v.rank_known) {
    ctx.set_output_unknown_rank(0, DType::kFloat32);
    return Status::Ok();
  }
  // Checks that need the dims run when they are known (always at run time).
  const size_t r = q.dims.size();
  auto known = [](int64_t a, int64_t b) { return a >= 0 && b >= 0; };
  for (size_t i = 0; i + 2 < r; ++i)
    if ((k.rank_known && known(q.dims[i], k.dims[i]) && q.dims[i] != k.dims[i]) ||
        known(q.dims[i], v.dims[i]) && q.dims[i] != v.dims[i])
      return ctx.Error("Q, K and V batch dims differ");
  int64_t nk = v.dims[r - 2];
  if (k.rank_known) {
    const int64_t kd = kt ? k.dims[r - 2] : k.dims[r - 1], kn = kt ? k.dims[r - 1] : k.dims[r - 2];
    if (known(q.dims[r - 1], kd) && q.dims[r - 1] != kd) return ctx.Error("Q and K depth differ");
    if (known(kn, nk) && kn != nk) return ctx.Error("K and V key counts differ");
    if (nk < 0) nk = kn;
  }
  if (rel && ctx.input_type(3).fully_known() && ctx.input_type(4).fully_known() && q.fully_known() &&
      v.fully_known()) {
    const Shape& rh = ctx.input_type(3).dims;
    const Shape& rw = ctx.input_type(4).dims;
    if (rh[0] != q.dims[0] || rw[0] != q.dims[0] || rh[1] != rw[1] || rh[2] != rw[2] ||
        rh[1] * rh[2] != q.dims[1] || rh[3] * rw[3] != v.dims[1])
      return ctx.Error("rel_h {} and rel_w {} do not match Q {} and V {}", shape_str(rh), shape_str(rw),
                       shape_str(q.dims), shape_str(v.dims));
  }
  if (has_bias && ctx.input_type(5).fully_known() && q.fully_known() && nk >= 0) {
    const std::string why = BiasMismatch(ctx.input_type(5).dims, q.dims, nk);
    if (!why.empty())
      return ctx.Error("bias {} does not fit Q {} with {} keys: {}", shape_str(ctx.input_type(5).dims),
                       shape_str(q.dims), nk, why);
  }
  Shape y = q.dims;
  y[r - 1] = v.dims[r - 1];
  ctx.set_output(0, DType::kFloat32, y);
  return Status::Ok();
}

Status RefAttention(rt::KernelContext& ctx) {
  const AttentionDims a = GetAttentionDims(ctx);
  const int64_t nq = a.nq, d = a.d, nk = a.nk, dv = a.dv, kh = a.kh, kw = a.kw;
  const bool rel = kh > 0;
  const float* pq = ctx.input(0).data<float>();
  const float* pk = ctx.input(1).data<float>();
  const float* pv = ctx.input(2).data<float>();
  const float* prh = rel ? ctx.input(3).data<float>() : nullptr;
  const float* prw = rel ? ctx.input(4).data<float>() : nullptr;
  const float* pbias = a.bias_batches > 0 ? ctx.input(5).data<float>() : nullptr;
  float* py = ctx.output(0).data<float>();
  parallel_for(a.nb * nq, 16, [&](int64_t lo, int64_t hi) {
    std::vector<double> s(static_cast<size_t>(nk)), acc(static_cast<size_t>(dv));
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t b = row / nq;
      const float* qi = pq + row * d;
      const float* kb = pk + b * nk * d;
      double mx = -INFINITY;
      for (int64_t j = 0; j < nk; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < d; ++c)
          dot += static_cast<double>(qi[c]) * (a.k_transposed ? kb[c * nk + j] : kb[j * d + c]);
        dot *= a.scale;
        if (rel) dot += static_cast<double>(prh[row * kh + j / kw]) + prw[row * kw + j % kw];
        if (pbias) dot += pbias[((b % a.bias_batches) * nq + row % nq) * nk + j];
        s[j] = dot;
        mx = std::max(mx, dot);
      }
      double sum = 0;
      for (int64_t j = 0; j < nk; ++j) sum += (s[j] = std::exp(s[j] - mx));
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = 0; j < nk; ++j)
        for (int64_t c = 0; c < dv; ++c) acc[c] += s[j] * pv[(b * nk + j) * dv + c];
      for (int64_t c = 0; c < dv; ++c) py[row * dv + c] = static_cast<float>(acc[c] / sum);
    }
  });
  return Status::Ok();
}

}  // namespace

AttentionDims GetAttentionDims(const rt::KernelContext& ctx) {
  AttentionDims a;
  const Tensor& q = ctx.input(0);
  const Tensor& v = ctx.input(2);
  const int64_t r = static_cast<int64_t>(q.shape().size());
  a.nb = 1;
  for (int64_t i = 0; i + 2 < r; ++i) a.nb *= q.dim(i);
  a.nq = q.dim(r - 2);
  a.d = q.dim(r - 1);
  a.nk = v.dim(r - 2);
  a.dv = v.dim(r - 1);
  a.k_transposed = ctx.node().attr_int("k_transposed", 0) != 0;
  a.scale = ctx.node().attr_float("scale", 1.0f);
  if (ctx.num_inputs() > 4 && ctx.has_input(3) && ctx.has_input(4)) {
    a.kh = ctx.input(3).dim(3);
    a.kw = ctx.input(4).dim(3);
  }
  if (ctx.num_inputs() > 5 && ctx.has_input(5)) {
    const Tensor& bias = ctx.input(5);
    a.bias_batches = std::max<int64_t>(1, bias.numel() / std::max<int64_t>(1, a.nq * a.nk));
  }
  return a;
}

void AddSamAttentionOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Attention";
  s.domain = "com.samq";
  s.min_inputs = 3;
  s.max_inputs = 6;
  s.infer = InferAttention;
  s.kernels.push_back({"fast.Attention", MakeFastSamAttention});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Attention", RefAttention));
  r.Register(std::move(s));
}

}  // namespace samq::backends::fast
