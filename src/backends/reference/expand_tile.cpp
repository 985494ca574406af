// Ops that replicate or mask data: Expand (NumPy broadcast to a shape), Tile (repeat along each
// axis) and Trilu (keep the upper or lower triangle of the last two dims).
#include <algorithm>

#include "backends/reference/broadcast_iter.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/shape_util.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// ---- Expand -------------------------------------------------------------------------------

Status InferExpand(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  const Tensor* shape = ctx.input_value(1);
  if (!shape) {
    const auto& st = ctx.input_type(1);
    if (t.rank_known && st.rank_known && st.rank() == 1 && st.dims[0] >= 0)
      ctx.set_output(0, t.dtype, Shape(std::max<int64_t>(t.rank(), st.dims[0]), -1));
    else
      ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto dims, ReadInts(ctx.node(), *shape, "shape"));
  if (shape->rank() != 1) return ctx.Error("shape must be 1-D, got {}", shape_str(shape->shape()));
  for (int64_t d : dims)
    if (d < 0) return ctx.Error("shape {} has a negative dim", shape_str(dims));
  if (!t.rank_known) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  std::string why;
  auto out = BroadcastShapes(t.dims, dims, &why);
  if (!out) return ctx.Error("cannot expand {} to {}: {}", shape_str(t.dims), shape_str(dims), why);
  ctx.set_output(0, t.dtype, *out);
  return Status::Ok();
}

Status RunExpand(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  if (out.numel() == 0) return Status::Ok();
  const size_t elem = dtype_size(in.dtype());
  const BroadcastPlan plan = MakeBroadcastPlan(out.shape(), {&in.shape()});
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  ParallelBroadcastRuns(plan, [&](int64_t pos, const std::array<int64_t, kMaxBroadcastInputs>& offs, int64_t n) {
    if (plan.inner_stride(0) == 1)
      std::memcpy(dst + pos * elem, src + offs[0] * elem, static_cast<size_t>(n) * elem);
    else
      FillElements(dst + pos * elem, src + offs[0] * elem, n, elem);
  });
  return Status::Ok();
}

// ---- Tile ---------------------------------------------------------------------------------

Status InferTile(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  if (!t.rank_known) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  const Tensor* rep = ctx.input_value(1);
  if (!rep) {
    ctx.set_output(0, t.dtype, Shape(t.rank(), -1));
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto r, ReadInts(ctx.node(), *rep, "repeats"));
  if (static_cast<int64_t>(r.size()) != t.rank())
    return ctx.Error("repeats has {} values but the input has rank {}", r.size(), t.rank());
  Shape out(t.rank());
  for (int64_t k = 0; k < t.rank(); ++k) {
    if (r[k] < 0) return ctx.Error("repeats {} has a negative value", shape_str(r));
    out[k] = t.dims[k] < 0 ? -1 : t.dims[k] * r[k];
  }
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

Status RunTile(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  if (out.numel() == 0) return Status::Ok();
  const size_t elem = dtype_size(in.dtype());
  const int r = static_cast<int>(in.rank());
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  if (r == 0) {
    std::memcpy(dst, src, elem);
    return Status::Ok();
  }
  // Each output row (all dims but the last) is its input row repeated along the last axis.
  const Shape is = ContiguousStrides(in.shape());
  const int64_t in_w = in.dim(r - 1), out_w = out.dim(r - 1);
  const int64_t row_bytes = in_w * static_cast<int64_t>(elem);
  const int64_t rows = out.numel() / out_w;
  parallel_for(rows, 64, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t rem = row, off = 0;
      for (int k = r - 2; k >= 0; --k) {
        off += (rem % out.dim(k)) % in.dim(k) * is[k];
        rem /= out.dim(k);
      }
      uint8_t* d = dst + row * out_w * static_cast<int64_t>(elem);
      for (int64_t x = 0; x < out_w; x += in_w)
        std::memcpy(d + x * elem, src + off * elem, static_cast<size_t>(row_bytes));
    }
  });
  return Status::Ok();
}

// ---- Trilu --------------------------------------------------------------------------------

Status InferTrilu(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  if (t.rank_known && t.rank() < 2) return ctx.Error("input must have rank >= 2, got {}", t.str());
  if (t.rank_known) ctx.set_output(0, t.dtype, t.dims);
  else ctx.set_output_unknown_rank(0, t.dtype);
  return Status::Ok();
}

Status RunTrilu(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  int64_t k = 0;
  if (ctx.has_input(1)) {
    SAMQ_ASSIGN_OR_RETURN(auto kv, ReadInts(ctx.node(), ctx.input(1), "k"));
    if (kv.size() != 1) return ctx.Error("k must be a scalar, got {} values", kv.size());
    k = kv[0];
  }
  const bool upper = ctx.node().attr_int("upper", 1) != 0;
  const size_t elem = dtype_size(in.dtype());
  const int64_t N = in.dim(-2), M = in.dim(-1);
  const int64_t mats = N * M == 0 ? 0 : in.numel() / (N * M);
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());  // fresh outputs are zero
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < M; ++j) {
        // Upper keeps j - i >= k; lower keeps j - i <= k.
        const bool keep = upper ? j - i >= k : j - i <= k;
        const int64_t off = (m * N + i) * M + j;
        if (keep) CopyElement(dst + off * elem, src + off * elem, elem);
        else std::memset(dst + off * elem, 0, elem);
      }
  return Status::Ok();
}

void Add(rt::OpRegistry& r, const char* op, int min_in, int max_in, rt::InferFn infer, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = min_in;
  s.max_inputs = max_in;
  s.infer = std::move(infer);
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, std::move(run)));
  r.Register(std::move(s));
}

}  // namespace

void RegisterExpandTileOps(rt::OpRegistry& r) {
  Add(r, "Expand", 2, 2, InferExpand, RunExpand);
  Add(r, "Tile", 2, 2, InferTile, RunTile);
  Add(r, "Trilu", 1, 2, InferTrilu, RunTrilu);
}

}  // namespace samq::backends
