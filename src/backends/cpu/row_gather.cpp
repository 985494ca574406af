// com.samq RowGather(x [..., C], rows int64 [R]), attribute shape (ints: the output dims, whose
// leading dims multiply to R and whose last is C): y's row r (its C innermost elements) is x's
// row rows[r], or zeros when rows[r] = -1. Any element type.
//
// It replaces a chain of Pad / Reshape / Transpose / Slice nodes that only move whole rows of C
// values (passes/fuse_row_gather.h): SAM ViT's window partition (Pad -> Reshape -> Transpose ->
// Reshape) and unpartition (Reshape -> Transpose -> Reshape -> Slice -> Slice) around every
// windowed block. The chain wrote each intermediate in full; the gather writes the result once,
// a row copy per output row. Both kernels copy the same bytes, so they agree exactly.
#include "backends/cpu/row_gather.h"

#include <cstring>

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
  for (int64_t r : rows.values<int64_t>())
    if (r < -1 || r >= g.in_rows) return ctx.Error("row index {} is outside x's {} rows", r, g.in_rows);
  return g;
}

void CopyRow(const Tensor& x, const int64_t* rows, const Geometry& g, int64_t r, char* y) {
  char* dst = y + static_cast<size_t>(r) * g.row_bytes;
  if (rows[r] < 0) std::memset(dst, 0, g.row_bytes);
  else std::memcpy(dst, static_cast<const char*>(x.raw()) + static_cast<size_t>(rows[r]) * g.row_bytes, g.row_bytes);
}

// The oracle: one row after another.
Status RefRowGather(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(const Geometry g, CheckGather(ctx));
  Tensor& y = ctx.output_for_overwrite(0);
  const int64_t* rows = ctx.input(1).data<int64_t>();
  for (int64_t r = 0; r < g.out_rows; ++r) CopyRow(ctx.input(0), rows, g, r, static_cast<char*>(y.raw()));
  return Status::Ok();
}

// The same copies spread over the threads (a row of ViT-B is 3 KB: blocks of rows per task).
Status FastRowGather(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(const Geometry g, CheckGather(ctx));
  Tensor& y = ctx.output_for_overwrite(0);
  const int64_t* rows = ctx.input(1).data<int64_t>();
  char* py = static_cast<char*>(y.raw());
  parallel_for(g.out_rows, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) CopyRow(ctx.input(0), rows, g, r, py);
  });
  return Status::Ok();
}

}  // namespace

void AddRowGatherOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "RowGather";
  s.domain = "com.samq";
  s.min_inputs = s.max_inputs = 2;
  s.infer = InferRowGather;
  s.kernels.push_back(rt::MakeStatelessKernel("fast.RowGather", FastRowGather));
  s.kernels.push_back(rt::MakeStatelessKernel("ref.RowGather", RefRowGather));
  r.Register(std::move(s));
}

}  // namespace samq::backends::cpu
