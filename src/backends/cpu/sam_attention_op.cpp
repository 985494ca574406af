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

// The strided form: output dims come from output_shape; views are checked against whatever input
// sizes are known (the kernels check them again at run time).
Status InferStridedAttention(rt::InferContext& ctx, const std::vector<int64_t>& layout) {
  const ir::Node& node = ctx.node();
  if (layout.size() != 4) return ctx.Error("layout_dims has {} values; expected [Nq, Nk, D, Dv]", layout.size());
  for (int64_t v : layout)
    if (v < 1) return ctx.Error("layout_dims {} has a value < 1", shape_str(layout));
  const std::vector<int64_t> out = node.attr_ints("output_shape");
  if (!node.attr("output_shape")) return ctx.Error("layout_dims given without output_shape");
  for (int64_t v : out)
    if (v < 0) return ctx.Error("output_shape {} has a negative dim", shape_str(out));
  const char* names[4] = {"q_view", "k_view", "v_view", "y_view"};
  const int64_t rows[4] = {layout[0], layout[1], layout[1], layout[0]};
  const int64_t cols[4] = {layout[2], layout[2], layout[3], layout[3]};
  int64_t nb = -1;
  for (int i = 0; i < 4; ++i) {
    const auto view = ParseOperandView(node.attr_ints(names[i]));
    if (!view) return ctx.Error("{} is missing or malformed", names[i]);
    if (nb < 0) nb = view->batch_count();
    if (view->batch_count() != nb) return ctx.Error("{} has {} batches; q_view has {}", names[i], view->batch_count(), nb);
    const int64_t reach = view->MaxOffset(rows[i], cols[i]);
    const int64_t size = i < 3 ? (ctx.input_type(i).fully_known() ? shape_numel(ctx.input_type(i).dims) : -1)
                               : shape_numel(out);
    if (size >= 0 && reach >= size)
      return ctx.Error("{} reaches element {} of a tensor of {}", names[i], reach, size);
  }
  if (shape_numel(out) != nb * layout[0] * layout[3])
    return ctx.Error("output_shape {} does not hold {} x {} x {} values", shape_str(out), nb, layout[0], layout[3]);
  ctx.set_output(0, DType::kFloat32, out);
  return Status::Ok();
}

// Infers Y's type; every mismatch between the operands is a user error naming the dims.
Status InferAttention(rt::InferContext& ctx) {
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const DType t = ctx.input_type(i).dtype;
    if (t == DType::kUndefined) continue;
    if (IsAttentionZeroPoint(i) && t != DType::kUInt8 && t != DType::kInt8)
      return ctx.Error("input {} (a zero point) has type {}; supported: uint8, int8", i, dtype_name(t));
    if (i < 3 && (t == DType::kUInt8 || t == DType::kInt8)) {  // codes: the type of the operand's zero point
      const int zp = 11 + 2 * i;
      if (ctx.num_inputs() <= zp || !ctx.has_input(zp))
        return ctx.Error("input {} is {} codes but the node has no zero point for it (input {})", i, dtype_name(t), zp);
      const DType z = ctx.input_type(zp).dtype;
      if (z != DType::kUndefined && z != t)
        return ctx.Error("input {} is {} codes but its zero point (input {}) is {}", i, dtype_name(t), zp, dtype_name(z));
      if (i == 0 && ctx.num_inputs() > 6 && ctx.has_input(6))
        return ctx.Error("rel_pos_h/rel_pos_w need Q as float32, not codes");
      continue;
    }
    if (!IsAttentionZeroPoint(i) && t != DType::kFloat32)
      return ctx.Error("input {} has type {}; supported: float32", i, dtype_name(t));
  }
  const bool quant_p = ctx.num_inputs() > 8 && ctx.has_input(8);
  if (quant_p != (ctx.num_inputs() > 9 && ctx.has_input(9)))
    return ctx.Error("p_scale and p_zero_point must be given together");
  int quant_qkv = 0;
  for (int i = 10; i < 16; ++i) quant_qkv += ctx.num_inputs() > i && ctx.has_input(i);
  if (quant_qkv != 0 && (quant_qkv != 6 || !quant_p))
    return ctx.Error("Q's, K's and V's scales and zero points (inputs 10..15) go together, and with P's");
  for (int i = 8; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i) && ctx.input_type(i).fully_known() && shape_numel(ctx.input_type(i).dims) != 1)
      return ctx.Error("input {} (a scale or zero point) must hold one value", i);
  const bool rel = ctx.num_inputs() > 3 && ctx.has_input(3);
  if (rel != (ctx.num_inputs() > 4 && ctx.has_input(4)))
    return ctx.Error("rel_h and rel_w must be given together");
  const bool has_bias = ctx.num_inputs() > 5 && ctx.has_input(5);
  const bool tables = ctx.num_inputs() > 6 && ctx.has_input(6);
  if (tables != (ctx.num_inputs() > 7 && ctx.has_input(7)))
    return ctx.Error("rel_pos_h and rel_pos_w must be given together");
  if (tables && rel) return ctx.Error("rel_h/rel_w and rel_pos_h/rel_pos_w are exclusive");
  if (tables) {
    const auto& th = ctx.input_type(6);
    const auto& tw = ctx.input_type(7);
    for (int i = 6; i < 8; ++i)
      if (ctx.input_type(i).rank_known && ctx.input_type(i).rank() != 3)
        return ctx.Error("input {} has rank {}; expected 3 ([H or W, KH or KW, D])", i, ctx.input_type(i).rank());
    if (th.fully_known() && tw.fully_known() && th.dims[2] != tw.dims[2])
      return ctx.Error("rel_pos_h {} and rel_pos_w {} differ in depth", shape_str(th.dims), shape_str(tw.dims));
  }
  if (ctx.node().attr("layout_dims")) return InferStridedAttention(ctx, ctx.node().attr_ints("layout_dims"));
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
        (known(q.dims[i], v.dims[i]) && q.dims[i] != v.dims[i]))
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
  if (tables && ctx.input_type(6).fully_known() && ctx.input_type(7).fully_known() && q.fully_known() && nk >= 0) {
    const Shape& th = ctx.input_type(6).dims;
    const Shape& tw = ctx.input_type(7).dims;
    if (th[0] * tw[0] != q.dims[r - 2] || th[1] * tw[1] != nk || th[2] != q.dims[r - 1])
      return ctx.Error("rel_pos_h {} and rel_pos_w {} do not match Q {} and {} keys", shape_str(th), shape_str(tw),
                       shape_str(q.dims), nk);
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
  SAMQ_ASSIGN_OR_RETURN(const AttentionDims a, GetAttentionDims(ctx));
  const int64_t nq = a.nq, d = a.d, nk = a.nk, dv = a.dv, kh = a.kh, kw = a.kw;
  const bool rel = kh > 0;
  const AttentionInputs in = GetAttentionInputs(ctx, a);
  const float *pq = in.q, *pk = in.k, *pv = in.v, *prh = in.rel_h, *prw = in.rel_w, *pbias = in.bias;
  const float *pth = in.table_h, *ptw = in.table_w;
  float* py = ctx.output(0).data<float>();
  const std::vector<int64_t> qo = a.q.BatchOffsets(), ko = a.k.BatchOffsets(), vo = a.v.BatchOffsets(),
                             yo = a.y.BatchOffsets();
  parallel_for(a.nb * nq, 16, [&](int64_t lo, int64_t hi) {
    std::vector<double> s(static_cast<size_t>(nk)), acc(static_cast<size_t>(dv));
    std::vector<double> th(static_cast<size_t>(kh)), tw(static_cast<size_t>(kw));
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t b = row / nq, i = row % nq;
      const int64_t qi_at = qo[b] + i * a.q.row_stride;
      const float* qi = pq ? pq + qi_at : nullptr;  // (float Q only: the rel-pos tables need it)
      // The integer attention's operands as the file computes them: quantize-dequantized, or
      // dequantized codes.
      auto operand = [&](const float* f, const void* codes, const AttentionDims::OperandQuant& q, int64_t at) {
        if (codes) return static_cast<double>(q.Dequantize(codes, at));
        const float x = f[at];
        return static_cast<double>(a.quant_qkv ? q.QuantDequant(x) : x);
      };
      auto q_at = [&](int64_t c) { return operand(pq, in.q_codes, a.qq, qi_at + c * a.q.col_stride); };
      auto k_at = [&](int64_t j, int64_t c) {
        return operand(pk, in.k_codes, a.kq, ko[b] + j * a.k.row_stride + c * a.k.col_stride);
      };
      auto v_at = [&](int64_t j, int64_t c) {
        return operand(pv, in.v_codes, a.vq, vo[b] + j * a.v.row_stride + c * a.v.col_stride);
      };
      if (pth) {  // the decomposed terms of this query from its own (unscaled) row
        const int64_t h = i / a.grid_w, w = i % a.grid_w;
        for (int64_t t = 0; t < kh; ++t) {
          double dot = 0;
          for (int64_t c = 0; c < d; ++c) dot += static_cast<double>(qi[c * a.q.col_stride]) * pth[(h * kh + t) * d + c];
          th[t] = dot;
        }
        for (int64_t t = 0; t < kw; ++t) {
          double dot = 0;
          for (int64_t c = 0; c < d; ++c) dot += static_cast<double>(qi[c * a.q.col_stride]) * ptw[(w * kw + t) * d + c];
          tw[t] = dot;
        }
      } else if (rel) {
        for (int64_t t = 0; t < kh; ++t) th[t] = prh[row * kh + t];
        for (int64_t t = 0; t < kw; ++t) tw[t] = prw[row * kw + t];
      }
      double mx = -INFINITY;
      for (int64_t j = 0; j < nk; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < d; ++c) dot += q_at(c) * k_at(j, c);
        dot *= a.scale;
        if (rel) dot += th[j / kw] + tw[j % kw];
        if (pbias) dot += pbias[((b % a.bias_batches) * nq + i) * nk + j];
        s[j] = dot;
        mx = std::max(mx, dot);
      }
      double sum = 0;
      for (int64_t j = 0; j < nk; ++j) sum += (s[j] = std::exp(s[j] - mx));
      if (a.quant_p) {  // P as float32, then QuantizeLinear -> DequantizeLinear, as the QDQ file says
        for (int64_t j = 0; j < nk; ++j) s[j] = a.QuantDequantP(static_cast<float>(s[j] / sum));
        sum = 1.0;
      }
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = 0; j < nk; ++j)
        for (int64_t c = 0; c < dv; ++c) acc[c] += s[j] * v_at(j, c);
      float* yr = py + yo[b] + i * a.y.row_stride;
      for (int64_t c = 0; c < dv; ++c) yr[c * a.y.col_stride] = static_cast<float>(acc[c] / sum);
    }
  });
  return Status::Ok();
}

}  // namespace

int64_t OperandView::batch_count() const {
  int64_t n = 1;
  for (const auto& [size, stride] : batch) n *= size;
  return n;
}

std::vector<int64_t> OperandView::BatchOffsets() const {
  std::vector<int64_t> out(static_cast<size_t>(batch_count()));
  for (int64_t b = 0; b < static_cast<int64_t>(out.size()); ++b) {
    int64_t rest = b, off = offset;
    for (size_t f = batch.size(); f-- > 0;) {
      off += rest % batch[f].first * batch[f].second;
      rest /= batch[f].first;
    }
    out[b] = off;
  }
  return out;
}

int64_t OperandView::MaxOffset(int64_t rows, int64_t cols) const {
  if (rows <= 0 || cols <= 0 || batch_count() == 0) return -1;
  int64_t m = offset + (rows - 1) * row_stride + (cols - 1) * col_stride;
  for (const auto& [size, stride] : batch) m += (size - 1) * stride;
  return m;
}

Tensor& AttentionOutput(rt::KernelContext& ctx, const AttentionDims& a) {
  const int64_t numel = shape_numel(ctx.output_type(0).dims);
  if (a.y.batch_count() == a.nb && a.y.CoversEachElementOnce(a.nq, a.dv, numel)) return ctx.output_for_overwrite(0);
  return ctx.output(0);
}

bool OperandView::CoversEachElementOnce(int64_t rows, int64_t cols, int64_t numel) const {
  if (offset != 0) return false;
  // A bijection onto [0, numel) exactly when, with the dims of size 1 left out and the rest
  // sorted by stride, each stride is the product of the sizes before it and all sizes multiply
  // to numel (a permuted dense layout).
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size)
  for (const auto& [size, stride] : batch)
    if (size != 1) dims.emplace_back(stride, size);
  if (rows != 1) dims.emplace_back(row_stride, rows);
  if (cols != 1) dims.emplace_back(col_stride, cols);
  std::sort(dims.begin(), dims.end());
  int64_t dense = 1;
  for (const auto& [stride, size] : dims) {
    if (size < 1 || stride != dense) return false;
    dense *= size;
  }
  return dense == numel;
}

std::optional<OperandView> ParseOperandView(const std::vector<int64_t>& ints) {
  if (ints.size() < 3 || (ints.size() - 3) % 2 != 0) return std::nullopt;
  OperandView v;
  v.offset = ints[0];
  v.row_stride = ints[1];
  v.col_stride = ints[2];
  if (v.offset < 0 || v.row_stride < 0 || v.col_stride < 0) return std::nullopt;
  // Bounded so offsets cannot overflow int64 on the way (2^40 elements is far past any tensor).
  constexpr int64_t kLimit = int64_t{1} << 40;
  if (v.offset > kLimit || v.row_stride > kLimit || v.col_stride > kLimit) return std::nullopt;
  int64_t count = 1;
  for (size_t i = 3; i < ints.size(); i += 2) {
    if (ints[i] < 1 || ints[i + 1] < 0 || ints[i] > kLimit || ints[i + 1] > kLimit) return std::nullopt;
    count *= ints[i];
    if (count > kLimit) return std::nullopt;
    v.batch.emplace_back(ints[i], ints[i + 1]);
  }
  return v;
}

namespace {

// A dense [nb, rows, cols] operand (cols contiguous), or its transpose when `transposed`
// ([nb, cols, rows] in memory).
OperandView DenseView(int64_t nb, int64_t rows, int64_t cols, bool transposed = false) {
  OperandView v;
  v.row_stride = transposed ? 1 : cols;
  v.col_stride = transposed ? rows : 1;
  v.batch = {{nb, rows * cols}};
  return v;
}

}  // namespace

AttentionInputs GetAttentionInputs(const rt::KernelContext& ctx, const AttentionDims& a) {
  const bool rel = a.kh > 0 && !a.rel_tables;
  auto data = [&](int i, bool there) { return there ? ctx.input(i).data<float>() : nullptr; };
  auto codes = [&](int i, bool there) { return there ? ctx.input(i).raw() : nullptr; };
  return {data(0, !a.qq.codes), data(1, !a.kq.codes), data(2, !a.vq.codes),
          data(3, rel),  data(4, rel),          data(5, a.bias_batches > 0),
          data(6, a.rel_tables), data(7, a.rel_tables),
          codes(0, a.qq.codes), codes(1, a.kq.codes), codes(2, a.vq.codes)};
}

Result<AttentionDims> GetAttentionDims(const rt::KernelContext& ctx) {
  AttentionDims a;
  const ir::Node& node = ctx.node();
  a.scale = node.attr_float("scale", 1.0f);
  if (node.attr("layout_dims")) {
    const std::vector<int64_t> l = node.attr_ints("layout_dims");
    if (l.size() != 4) return Status::UserF("{}: layout_dims must have 4 values", node.describe());
    a.strided = true;
    a.nq = l[0];
    a.nk = l[1];
    a.d = l[2];
    a.dv = l[3];
    const char* names[4] = {"q_view", "k_view", "v_view", "y_view"};
    OperandView* views[4] = {&a.q, &a.k, &a.v, &a.y};
    const int64_t rows[4] = {a.nq, a.nk, a.nk, a.nq}, cols[4] = {a.d, a.d, a.dv, a.dv};
    for (int i = 0; i < 4; ++i) {
      auto v = ParseOperandView(node.attr_ints(names[i]));
      if (!v) return Status::UserF("{}: {} is missing or malformed", node.describe(), names[i]);
      *views[i] = std::move(*v);
      const int64_t size = i < 3 ? ctx.input(i).numel() : shape_numel(ctx.output_type(0).dims);
      if (views[i]->MaxOffset(rows[i], cols[i]) >= size)
        return Status::UserF("{}: {} reaches past the end of its tensor ({} elements)", node.describe(), names[i],
                             size);
    }
    a.nb = a.q.batch_count();
    for (const OperandView* v : views)
      if (v->batch_count() != a.nb)
        return Status::UserF("{}: the views' batch counts differ", node.describe());
  } else {
    const Tensor& q = ctx.input(0);
    const Tensor& v = ctx.input(2);
    const int64_t r = static_cast<int64_t>(q.shape().size());
    a.nb = 1;
    for (int64_t i = 0; i + 2 < r; ++i) a.nb *= q.dim(i);
    a.nq = q.dim(r - 2);
    a.d = q.dim(r - 1);
    a.nk = v.dim(r - 2);
    a.dv = v.dim(r - 1);
    a.q = DenseView(a.nb, a.nq, a.d);
    a.k = DenseView(a.nb, a.nk, a.d, node.attr_int("k_transposed", 0) != 0);
    a.v = DenseView(a.nb, a.nk, a.dv);
    a.y = DenseView(a.nb, a.nq, a.dv);
  }
  if (ctx.num_inputs() > 4 && ctx.has_input(3) && ctx.has_input(4)) {
    const Tensor& rh = ctx.input(3);
    const Tensor& rw = ctx.input(4);
    a.kh = rh.dim(3);
    a.kw = rw.dim(3);
    if (rh.numel() != a.nb * a.nq * a.kh || rw.numel() != a.nb * a.nq * a.kw || a.kh * a.kw != a.nk)
      return Status::UserF("{}: rel_h {} / rel_w {} do not fit {} x {} queries and {} keys", node.describe(),
                           shape_str(rh.shape()), shape_str(rw.shape()), a.nb, a.nq, a.nk);
  }
  if (ctx.num_inputs() > 7 && ctx.has_input(6) && ctx.has_input(7)) {
    const Tensor& th = ctx.input(6);
    const Tensor& tw = ctx.input(7);
    if (a.kh > 0) return Status::UserF("{}: rel_h/rel_w and rel_pos_h/rel_pos_w are exclusive", node.describe());
    if (th.rank() != 3 || tw.rank() != 3 || th.dim(2) != a.d || tw.dim(2) != a.d || th.dim(0) * tw.dim(0) != a.nq ||
        th.dim(1) * tw.dim(1) != a.nk)
      return Status::UserF("{}: rel_pos_h {} / rel_pos_w {} do not fit {} queries, {} keys of depth {}",
                           node.describe(), shape_str(th.shape()), shape_str(tw.shape()), a.nq, a.nk, a.d);
    a.rel_tables = true;
    a.grid_h = th.dim(0);
    a.grid_w = tw.dim(0);
    a.kh = th.dim(1);
    a.kw = tw.dim(1);
  }
  if (ctx.num_inputs() > 9 && ctx.has_input(8) && ctx.has_input(9)) {
    const Tensor& ps = ctx.input(8);
    const Tensor& pz = ctx.input(9);
    if (ps.numel() != 1 || pz.numel() != 1 || ps.dtype() != DType::kFloat32 ||
        (pz.dtype() != DType::kUInt8 && pz.dtype() != DType::kInt8))
      return Status::UserF("{}: p_scale must be one float32 and p_zero_point one uint8 or int8", node.describe());
    const bool u8 = pz.dtype() == DType::kUInt8;
    a.quant_p = true;
    a.p_scale = ps.data<float>()[0];
    a.p_zero_point = u8 ? pz.data<uint8_t>()[0] : pz.data<int8_t>()[0];
    a.p_qmin = u8 ? 0.0f : -128.0f;
    a.p_qmax = u8 ? 255.0f : 127.0f;
  }
  if (ctx.num_inputs() > 15) {
    AttentionDims::OperandQuant* quants[3] = {&a.qq, &a.kq, &a.vq};
    for (int o = 0; o < 3; ++o) {
      const int i = 10 + 2 * o;
      if (!ctx.has_input(i) || !ctx.has_input(i + 1) || !a.quant_p)
        return Status::UserF("{}: inputs 10..15 go together, and with P's (8, 9)", node.describe());
      const Tensor& sc = ctx.input(i);
      const Tensor& zp = ctx.input(i + 1);
      if (sc.numel() != 1 || zp.numel() != 1 || sc.dtype() != DType::kFloat32 ||
          (zp.dtype() != DType::kUInt8 && zp.dtype() != DType::kInt8))
        return Status::UserF("{}: input {} must be one float32 and input {} one uint8 or int8", node.describe(), i,
                             i + 1);
      AttentionDims::OperandQuant& oq = *quants[o];
      oq.u8 = zp.dtype() == DType::kUInt8;
      oq.scale = sc.data<float>()[0];
      oq.zero_point = oq.u8 ? zp.data<uint8_t>()[0] : zp.data<int8_t>()[0];
      oq.qmin = oq.u8 ? 0.0f : -128.0f;
      oq.qmax = oq.u8 ? 255.0f : 127.0f;
      const DType t = ctx.input(o).dtype();
      oq.codes = t != DType::kFloat32;
      if (oq.codes && t != zp.dtype())
        return Status::UserF("{}: input {} is {} but its zero point is {}", node.describe(), o, dtype_name(t),
                             dtype_name(zp.dtype()));
    }
    if (a.rel_tables && a.qq.codes)
      return Status::UserF("{}: rel_pos_h/rel_pos_w need Q as float32, not codes", node.describe());
    a.quant_qkv = true;
  } else if (ctx.num_inputs() > 10) {
    return Status::UserF("{}: inputs 10..15 go together, and with P's (8, 9)", node.describe());
  }
  for (int i = 0; i < 3; ++i)
    if (ctx.input(i).dtype() != DType::kFloat32 && !a.quant_qkv)
      return Status::UserF("{}: input {} is {}; codes need the operands' quantization (inputs 10..15)",
                           node.describe(), i, dtype_name(ctx.input(i).dtype()));
  if (ctx.num_inputs() > 5 && ctx.has_input(5)) {
    const Tensor& bias = ctx.input(5);
    a.bias_batches = std::max<int64_t>(1, bias.numel() / std::max<int64_t>(1, a.nq * a.nk));
    if (bias.numel() != a.bias_batches * a.nq * a.nk || a.nb % a.bias_batches != 0)
      return Status::UserF("{}: bias {} does not fit {} x {} scores", node.describe(), shape_str(bias.shape()), a.nq,
                           a.nk);
  }
  return a;
}

void AddSamAttentionOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Attention";
  s.domain = "com.samq";
  s.min_inputs = 3;
  s.max_inputs = 16;
  s.infer = InferAttention;
  s.kernels.push_back({"fast.attention_u8s8", MakeFastInt8Attention});
  s.kernels.push_back({"fast.Attention", MakeFastSamAttention});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Attention", RefAttention));
  r.Register(std::move(s));
}

}  // namespace samq::backends::fast
