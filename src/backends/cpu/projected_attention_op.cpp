// com.samq ProjectedAttention: schema, shape inference, the operand dims, the choice of
// association and the reference kernel (see projected_attention.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/projected_attention.h"

namespace samq::backends::fast {
namespace {

constexpr int kXq = 0, kXk = 1, kXv = 2, kWq = 3, kBq = 4, kWk = 5, kBk = 6, kWv = 7, kBv = 8, kWo = 9,
              kBo = 10;
constexpr int kNumInputs = 11;

// The checks shared by inference (dims may be unknown: -1) and run time (all known). Writes the
// output dims to *out when the ranks allow it.
Status CheckOperands(const rt::InferContext& ctx, Shape* out) {
  const ir::Node& node = ctx.node();
  for (int i = 0; i < kNumInputs; ++i) {
    const DType t = ctx.input_type(i).dtype;
    if (t != DType::kUndefined && t != DType::kFloat32)
      return ctx.Error("input {} has type {}; supported: float32", i, dtype_name(t));
  }
  const int64_t heads = node.attr_int("heads", 0);
  if (heads < 1) return ctx.Error("attribute heads is {}; expected >= 1", heads);
  auto known = [](int64_t a, int64_t b) { return a >= 0 && b >= 0; };
  auto dim = [&](int i, int k) -> int64_t {
    const auto& t = ctx.input_type(i);
    return t.rank_known ? t.dims[k] : -1;
  };
  for (int i : {kXq, kXk, kXv})
    if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 3)
      return ctx.Error("input {} has rank {}; expected 3 ([batch, tokens, channels])", i, ctx.input_type(i).rank());
  for (int i : {kWq, kWk, kWv, kWo})
    if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 2)
      return ctx.Error("weight input {} has rank {}; expected 2", i, ctx.input_type(i).rank());
  // Each activation's channels against its weight's rows.
  const int pairs[3][2] = {{kXq, kWq}, {kXk, kWk}, {kXv, kWv}};
  for (const auto& p : pairs) {
    const int64_t a = dim(p[0], 2), w = dim(p[1], 0);
    if (known(a, w) && a != w) return ctx.Error("input {} has {} channels; its weight has {} rows", p[0], a, w);
  }
  const int64_t c = dim(kWq, 1);
  for (int i : {kWk, kWv})
    if (known(c, dim(i, 1)) && c != dim(i, 1)) return ctx.Error("Wq, Wk and Wv have different column counts");
  if (known(c, dim(kWo, 0)) && c != dim(kWo, 0)) return ctx.Error("Wo has {} rows; Wq has {} columns", dim(kWo, 0), c);
  if (c >= 0 && c % heads != 0) return ctx.Error("{} projected channels do not split into {} heads", c, heads);
  const int bias_of[4][2] = {{kBq, kWq}, {kBk, kWk}, {kBv, kWv}, {kBo, kWo}};
  for (const auto& b : bias_of) {
    const auto& t = ctx.input_type(b[0]);
    const int64_t cols = dim(b[1], 1);
    if (t.fully_known() && cols >= 0 && shape_numel(t.dims) != cols)
      return ctx.Error("bias input {} has {} values; its weight has {} columns", b[0], shape_numel(t.dims), cols);
  }
  if (known(dim(kXk, 1), dim(kXv, 1)) && dim(kXk, 1) != dim(kXv, 1))
    return ctx.Error("XK has {} tokens, XV {}", dim(kXk, 1), dim(kXv, 1));
  if (known(dim(kXk, 0), dim(kXv, 0)) && dim(kXk, 0) != dim(kXv, 0))
    return ctx.Error("XK and XV batch sizes differ ({} and {})", dim(kXk, 0), dim(kXv, 0));
  const int64_t bq = dim(kXq, 0), bk = dim(kXk, 0);
  if (known(bq, bk) && bq != bk && bq != 1 && bk != 1)
    return ctx.Error("batch sizes {} (XQ) and {} (XK) do not broadcast", bq, bk);
  if (out && ctx.input_type(kXq).rank_known) {
    const int64_t batch = known(bq, bk) ? std::max(bq, bk) : (bk == 1 ? bq : (bq == 1 ? bk : -1));
    *out = {batch, dim(kXq, 1), dim(kWo, 1)};
  }
  return Status::Ok();
}

Status InferProjectedAttention(rt::InferContext& ctx) {
  Shape out;
  SAMQ_RETURN_IF_ERROR(CheckOperands(ctx, &out));
  if (out.empty()) ctx.set_output(0, DType::kFloat32, {-1, -1, ctx.input_type(kWo).rank_known ? ctx.input_type(kWo).dims[1] : -1});
  else ctx.set_output(0, DType::kFloat32, out);
  return Status::Ok();
}

// The plain order in double: projections, per-head softmax attention, output projection.
Status RefProjectedAttention(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(ProjectedAttentionDims d, GetProjectedAttentionDims(ctx));
  auto f = [&](int i) { return ctx.input(i).data<float>(); };
  // rows [n, in] x W [in, out] + b -> [n, out], in double.
  auto project = [](const float* x, int64_t n, int64_t in, const float* w, const float* b, int64_t out) {
    std::vector<double> y(static_cast<size_t>(n * out));
    for (int64_t r = 0; r < n; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double acc = b[o];
        for (int64_t i = 0; i < in; ++i) acc += static_cast<double>(x[r * in + i]) * w[i * out + o];
        y[r * out + o] = acc;
      }
    return y;
  };
  float* y = ctx.output_for_overwrite(0).data<float>();
  std::vector<double> o(static_cast<size_t>(d.nq * d.c)), s(static_cast<size_t>(d.nk));
  for (int64_t b = 0; b < d.batch; ++b) {
    const int64_t qb = d.bq == 1 ? 0 : b, kb = d.bk == 1 ? 0 : b;
    const auto q = project(f(kXq) + qb * d.nq * d.cq, d.nq, d.cq, f(kWq), f(kBq), d.c);
    const auto k = project(f(kXk) + kb * d.nk * d.ck, d.nk, d.ck, f(kWk), f(kBk), d.c);
    const auto v = project(f(kXv) + kb * d.nk * d.cv, d.nk, d.cv, f(kWv), f(kBv), d.c);
    for (int64_t h = 0; h < d.heads; ++h)
      for (int64_t i = 0; i < d.nq; ++i) {
        double mx = -INFINITY;
        for (int64_t j = 0; j < d.nk; ++j) {
          double acc = 0;
          for (int64_t e = 0; e < d.d; ++e) acc += q[i * d.c + h * d.d + e] * k[j * d.c + h * d.d + e];
          s[j] = acc * d.scale;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < d.nk; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (int64_t e = 0; e < d.d; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < d.nk; ++j) acc += s[j] * v[j * d.c + h * d.d + e];
          o[i * d.c + h * d.d + e] = acc / sum;
        }
      }
    const float* wo = f(kWo);
    const float* bo = f(kBo);
    for (int64_t i = 0; i < d.nq; ++i)
      for (int64_t c = 0; c < d.co; ++c) {
        double acc = bo[c];
        for (int64_t e = 0; e < d.c; ++e) acc += o[i * d.c + e] * wo[e * d.co + c];
        y[(b * d.nq + i) * d.co + c] = static_cast<float>(acc);
      }
  }
  return Status::Ok();
}

}  // namespace

Result<ProjectedAttentionDims> GetProjectedAttentionDims(const rt::KernelContext& ctx) {
  if (ctx.num_inputs() != kNumInputs) return ctx.Error("expects {} inputs, got {}", kNumInputs, ctx.num_inputs());
  for (int i = 0; i < kNumInputs; ++i)
    if (!ctx.has_input(i)) return ctx.Error("input {} is missing", i);
  ProjectedAttentionDims d;
  const Tensor &xq = ctx.input(kXq), &xk = ctx.input(kXk);
  d.bq = xq.dim(0);
  d.bk = xk.dim(0);
  d.batch = std::max(d.bq, d.bk);
  if (d.bq == 0 || d.bk == 0) d.batch = 0;
  d.nq = xq.dim(1);
  d.cq = xq.dim(2);
  d.nk = xk.dim(1);
  d.ck = xk.dim(2);
  d.cv = ctx.input(kXv).dim(2);
  d.c = ctx.input(kWq).dim(1);
  d.co = ctx.input(kWo).dim(1);
  d.heads = ctx.node().attr_int("heads", 1);
  d.d = d.c / d.heads;
  d.scale = ctx.node().attr_float("scale", 1.0f);
  if (d.nk == 0 && d.nq > 0) return ctx.Error("attention over 0 keys");
  return d;
}

AttentionOrder ChooseAttentionOrder(const ProjectedAttentionDims& d) {
  // Multiply-adds of each order per batch, the parts they do not share (Q, K, V, Y projections
  // and the attention products).
  const double nq = d.nq, nk = d.nk, h = d.heads, dh = d.d;
  const double plain = nq * d.cq * d.c + nk * d.ck * d.c + nk * d.cv * d.c + 2 * nq * nk * d.c + nq * d.c * d.co;
  const double few_q = nq * d.cq * d.c + h * nq * dh * d.ck + h * nq * nk * (d.ck + d.cv) +
                       h * nq * d.cv * dh + nq * d.c * d.co;
  const double few_k = nk * d.ck * d.c + nk * d.cv * d.c + h * d.cq * dh * nk + nq * d.cq * h * nk +
                       h * nk * dh * d.co + nq * h * nk * d.co;
  if (few_q < plain && few_q <= few_k) return AttentionOrder::kFewQueries;
  if (few_k < plain) return AttentionOrder::kFewKeys;
  return AttentionOrder::kPlain;
}

void AddProjectedAttentionOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "ProjectedAttention";
  s.domain = "com.samq";
  s.min_inputs = kNumInputs;
  s.max_inputs = kNumInputs;
  s.infer = InferProjectedAttention;
  s.kernels.push_back({"fast.ProjectedAttention", MakeFastProjectedAttention});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.ProjectedAttention", RefProjectedAttention));
  r.Register(std::move(s));
}

}  // namespace samq::backends::fast
