// com.samq RowGather(x [..., C], rows int64 [R]), attribute shape (ints: the output dims, whose
// leading dims multiply to R and whose last is C): y's row r (its C innermost elements) is x's
// row rows[r], or zeros when rows[r] = -1. Any element type.
// RowGather(x, rows, addend) (float32 only): y = that gather + addend, addend of y's shape: the
// residual Add after SAM ViT's / TinyViT's window unpartition, folded in by
// passes/fuse_residual_add. Each value is the Add's own float sum (a zero row gives 0 + a).
//
// It replaces a chain of Pad / Reshape / Transpose / Slice nodes that only move whole rows of C
// values (passes/fuse_row_gather.h): SAM ViT's window partition (Pad -> Reshape -> Transpose ->
// Reshape) and unpartition (Reshape -> Transpose -> Reshape -> Slice -> Slice) around every
// windowed block. The chain wrote each intermediate in full; the gather writes the result once,
// a row copy per output row. Both kernels copy the same bytes, so they agree exactly.
#include "backends/cpu/row_gather.h"

#include <cstring>

#include "backends/cpu/fast_kernels.h"
#include "core/parallel.h"

namespace samq::backends::cpu {
namespace {

Status InferRowGather(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  const auto& rows = ctx.input_type(1);
  if (rows.dtype != DType::kUndefined && rows.dtype != DType::kInt64)
    return ctx.Error("rows has type {}; supported: int64", dtype_name(rows.dtype));
  const auto shape = ctx.node().attr_ints("shape");
  if (shape.empty()) return ctx.Error("attribute shape is missing");
  for (int64_t d : shape)
    if (d < 0) return ctx.Error("attribute shape {} has a negative dim", shape_str(shape));
  if (x.rank_known && (x.rank() == 0 || (x.dims.back() >= 0 && x.dims.back() != shape.back())))
    return ctx.Error("x {} and output {} must share the last dim", shape_str(x.dims), shape_str(shape));
  if (ctx.node().has_input(2)) {
    const auto& a = ctx.input_type(2);
    if ((x.dtype != DType::kUndefined && x.dtype != DType::kFloat32) ||
        (a.dtype != DType::kUndefined && a.dtype != DType::kFloat32))
      return ctx.Error("an addend needs float32 x and addend, not {} and {}", dtype_name(x.dtype), dtype_name(a.dtype));
    if (a.fully_known() && a.dims != Shape(shape.begin(), shape.end()))
      return ctx.Error("addend {} and output {} differ in shape", a.str(), shape_str(shape));
  }
  ctx.set_output(0, x.dtype, Shape(shape.begin(), shape.end()));
  return Status::Ok();
}

// The checks both kernels make before copying: the row table has one entry per output row and
// every entry names a row of x or is -1.
struct Geometry {
  int64_t in_rows = 0, out_rows = 0;
  size_t row_bytes = 0;
};
Result<Geometry> CheckGather(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& rows = ctx.input(1);
  const Shape& out = ctx.output_type(0).dims;
  if (x.rank() == 0 || out.empty() || x.dim(-1) != out.back())
    return ctx.Error("x {} and output {} must share the last dim", shape_str(x.shape()), shape_str(out));
  if (rows.dtype() != DType::kInt64 || rows.rank() != 1) return ctx.Error("rows must be a 1-D int64 tensor");
  Geometry g;
  const int64_t c = x.dim(-1);
  g.in_rows = c == 0 ? 0 : x.numel() / c;
  g.out_rows = c == 0 ? 0 : shape_numel(out) / c;
  g.row_bytes = static_cast<size_t>(c) * dtype_size(x.dtype());
  if (rows.numel() != g.out_rows)
    return ctx.Error("{} row indices for an output of {} rows", rows.numel(), g.out_rows);
  if (ctx.has_input(2)) {
    const Tensor& a = ctx.input(2);
    if (x.dtype() != DType::kFloat32 || a.dtype() != DType::kFloat32 || a.shape() != out)
      return ctx.Error("addend {} {} does not fit x {} and output {}", dtype_name(a.dtype()), shape_str(a.shape()),
                       dtype_name(x.dtype()), shape_str(out));
  }
  for (int64_t r : rows.values<int64_t>())
    if (r < -1 || r >= g.in_rows) return ctx.Error("row index {} is outside x's {} rows", r, g.in_rows);
  return g;
}

void CopyRow(const Tensor& x, const int64_t* rows, const Geometry& g, int64_t r, char* y) {
  char* dst = y + static_cast<size_t>(r) * g.row_bytes;
  if (rows[r] < 0) std::memset(dst, 0, g.row_bytes);
  else std::memcpy(dst, static_cast<const char*>(x.raw()) + static_cast<size_t>(rows[r]) * g.row_bytes, g.row_bytes);
}

// y[i] = x[i] + a[i], i < n (x null: a zero row, 0 + a[i] as the unfused Add computes it).
SAMQ_CLONES void AddRow(const float* x, const float* a, float* y, int64_t n) {
  if (!x) {
    for (int64_t i = 0; i < n; ++i) y[i] = 0.0f + a[i];
    return;
  }
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] + a[i];
}

// Row r of the output: a copy, or with an addend the row plus the addend's row r.
void GatherRow(rt::KernelContext& ctx, const int64_t* rows, const Geometry& g, int64_t r, char* y) {
  if (!ctx.has_input(2)) return CopyRow(ctx.input(0), rows, g, r, y);
  const int64_t c = static_cast<int64_t>(g.row_bytes / sizeof(float));
  const float* x = rows[r] < 0 ? nullptr : ctx.input(0).data<float>() + rows[r] * c;
  AddRow(x, ctx.input(2).data<float>() + r * c, reinterpret_cast<float*>(y) + r * c, c);
}

// The oracle: one row after another.
Status RefRowGather(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(const Geometry g, CheckGather(ctx));
  Tensor& y = ctx.output_for_overwrite(0);
  const int64_t* rows = ctx.input(1).data<int64_t>();
  for (int64_t r = 0; r < g.out_rows; ++r) GatherRow(ctx, rows, g, r, static_cast<char*>(y.raw()));
  return Status::Ok();
}

// The same rows spread over the threads (a row of ViT-B is 3 KB: blocks of rows per task).
Status FastRowGather(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(const Geometry g, CheckGather(ctx));
  Tensor& y = ctx.output_for_overwrite(0);
  const int64_t* rows = ctx.input(1).data<int64_t>();
  char* py = static_cast<char*>(y.raw());
  parallel_for(g.out_rows, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) GatherRow(ctx, rows, g, r, py);
  });
  return Status::Ok();
}

}  // namespace

void AddRowGatherOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "RowGather";
  s.domain = "com.samq";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.infer = InferRowGather;
  s.kernels.push_back(rt::MakeStatelessKernel("fast.RowGather", FastRowGather));
  s.kernels.push_back(rt::MakeStatelessKernel("ref.RowGather", RefRowGather));
  r.Register(std::move(s));
}

}  // namespace samq::backends::cpu
