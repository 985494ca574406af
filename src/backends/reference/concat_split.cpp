// Concat and Split: both move contiguous blocks. Viewed as [outer, axis * inner], each input of
// Concat (each output of Split) is one block of `axis_k * inner` elements per outer index.
#include <algorithm>

#include "backends/reference/shape_util.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// ---- Concat -------------------------------------------------------------------------------

Status InferConcat(rt::InferContext& ctx) {
  if (!ctx.node().attr("axis")) return ctx.Error("attribute 'axis' is required");
  const int64_t axis_attr = ctx.node().attr_int("axis", 0);
  DType dt = DType::kUndefined;
  const rt::TensorType* ranked = nullptr;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const auto& t = ctx.input_type(i);
    if (t.dtype != DType::kUndefined) {
      if (dt != DType::kUndefined && t.dtype != dt)
        return ctx.Error("inputs have different dtypes: {} and {}", dtype_name(dt), dtype_name(t.dtype));
      dt = t.dtype;
    }
    if (t.rank_known && !ranked) ranked = &t;
  }
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), dt));
  if (!ranked) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::Ok();
  }
  const int64_t rank = ranked->rank();
  if (rank == 0) return ctx.Error("cannot concatenate scalars (rank 0)");
  if (axis_attr < -rank || axis_attr >= rank)
    return ctx.Error("axis {} is out of range for rank {} (allowed: [{}, {}])", axis_attr, rank, -rank, rank - 1);
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  Shape out(rank, -1);
  int64_t axis_sum = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const auto& t = ctx.input_type(i);
    if (!t.rank_known) {
      axis_sum = -1;
      continue;
    }
    if (t.rank() != rank)
      return ctx.Error("inputs have different ranks: {} and {} (input {})", ranked->str(), t.str(), i);
    for (int64_t k = 0; k < rank; ++k) {
      if (k == axis) continue;
      if (t.dims[k] < 0) continue;
      if (out[k] >= 0 && out[k] != t.dims[k])
        return ctx.Error("input {} has shape {}, which differs from {} outside the concat axis {}", i,
                         shape_str(t.dims), shape_str(ranked->dims), axis);
      out[k] = t.dims[k];
    }
    if (axis_sum >= 0) axis_sum = t.dims[axis] < 0 ? -1 : axis_sum + t.dims[axis];
  }
  out[axis] = axis_sum;
  ctx.set_output(0, dt, out);
  return Status::Ok();
}

Status RunConcat(rt::KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  if (out.numel() == 0) return Status::Ok();
  const int64_t rank = out.rank();
  int64_t axis = ctx.node().attr_int("axis", 0);
  if (axis < 0) axis += rank;
  const size_t elem = dtype_size(out.dtype());
  const int64_t outer = DimProduct(out.shape(), 0, axis);
  const int64_t inner_bytes = DimProduct(out.shape(), axis + 1, rank) * static_cast<int64_t>(elem);
  const int64_t out_row = out.dim(axis) * inner_bytes;
  auto* dst = static_cast<uint8_t*>(out.raw());
  // Byte offset of each input's block inside one output row.
  std::vector<int64_t> col(ctx.num_inputs() + 1, 0);
  for (int i = 0; i < ctx.num_inputs(); ++i) col[i + 1] = col[i] + ctx.input(i).dim(axis) * inner_bytes;
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, out_row));
  parallel_for(outer, grain, [&](int64_t begin, int64_t end) {
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const int64_t block = col[i + 1] - col[i];
      if (block == 0) continue;
      const auto* src = static_cast<const uint8_t*>(ctx.input(i).raw());
      for (int64_t o = begin; o < end; ++o)
        std::memcpy(dst + o * out_row + col[i], src + o * block, static_cast<size_t>(block));
    }
  });
  return Status::Ok();
}

// ---- Split --------------------------------------------------------------------------------

// Sizes of the outputs along the axis, or an empty vector when they are not known yet.
// `dim` is the input's size along the axis (-1 if unknown).
Result<std::vector<int64_t>> SplitSizes(const ir::Node& node, const IntsArg& split, int64_t dim, int n) {
  if (split.present && !split.known) return std::vector<int64_t>{};
  if (split.present && !split.values.empty()) {
    if (static_cast<int>(split.values.size()) != n)
      return NodeError(node, "split has {} entries but the node has {} outputs", split.values.size(), n);
    int64_t sum = 0;
    for (int64_t s : split.values) {
      if (s < 0) return NodeError(node, "split {} has a negative size", shape_str(split.values));
      sum += s;
    }
    if (dim >= 0 && sum != dim)
      return NodeError(node, "split {} sums to {} but the axis has size {}", shape_str(split.values), sum, dim);
    return split.values;
  }
  if (dim < 0) return std::vector<int64_t>{};
  std::vector<int64_t> sizes(n);
  if (const ir::Attribute* a = node.attr("num_outputs")) {
    // Opset 18: ceil(dim / num_outputs) each, the last one smaller when it does not divide.
    if (a->i != n)
      return NodeError(node, "num_outputs is {} but the node has {} outputs", a->i, n);
    const int64_t chunk = (dim + n - 1) / n;
    int64_t left = dim;
    for (int i = 0; i < n; ++i) {
      sizes[i] = std::min(chunk, left);
      left -= sizes[i];
    }
    if (n > 1 && sizes[n - 1] <= 0 && dim > 0)
      return NodeError(node, "cannot split an axis of size {} into {} chunks of {}", dim, n, chunk);
    return sizes;
  }
  if (dim % n != 0)
    return NodeError(node, "the axis of size {} does not split evenly into {} outputs; give 'split'", dim, n);
  std::fill(sizes.begin(), sizes.end(), dim / n);
  return sizes;
}

Status InferSplit(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  const int n = ctx.num_outputs();
  if (!t.rank_known) {
    for (int i = 0; i < n; ++i) ctx.set_output_unknown_rank(i, t.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto axes, NormalizeAxes(ctx.node(), {ctx.node().attr_int("axis", 0)}, t.rank(), "axis"));
  const int64_t axis = axes[0];
  SAMQ_ASSIGN_OR_RETURN(IntsArg split, ReadIntsArg(ctx, 1, "split"));
  SAMQ_ASSIGN_OR_RETURN(auto sizes, SplitSizes(ctx.node(), split, t.dims[axis], n));
  for (int i = 0; i < n; ++i) {
    Shape d = t.dims;
    d[axis] = sizes.empty() ? -1 : sizes[i];
    ctx.set_output(i, t.dtype, d);
  }
  return Status::Ok();
}

Status RunSplit(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  int64_t axis = ctx.node().attr_int("axis", 0);
  if (axis < 0) axis += in.rank();
  const size_t elem = dtype_size(in.dtype());
  const int64_t outer = DimProduct(in.shape(), 0, axis);
  const int64_t inner_bytes = DimProduct(in.shape(), axis + 1, in.rank()) * static_cast<int64_t>(elem);
  const int64_t in_row = in.dim(axis) * inner_bytes;
  const auto* src = static_cast<const uint8_t*>(in.raw());
  int64_t col = 0;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    const int64_t block = ctx.output_type(i).dims[axis] * inner_bytes;
    if (ctx.node().outputs[i].empty() || block == 0) {
      col += block;
      continue;
    }
    auto* dst = static_cast<uint8_t*>(ctx.output(i).raw());
    const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, block));
    parallel_for(outer, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o)
        std::memcpy(dst + o * block, src + o * in_row + col, static_cast<size_t>(block));
    });
    col += block;
  }
  return Status::Ok();
}

}  // namespace

void RegisterConcatSplitOps(rt::OpRegistry& r) {
  rt::OpSchema concat;
  concat.op_type = "Concat";
  concat.min_inputs = 1;
  concat.max_inputs = 1 << 20;
  concat.infer = InferConcat;
  concat.kernels.push_back(rt::MakeStatelessKernel("ref.Concat", RunConcat));
  r.Register(std::move(concat));

  rt::OpSchema split;
  split.op_type = "Split";
  split.min_inputs = 1;
  split.max_inputs = 2;
  split.min_outputs = 1;
  split.max_outputs = 1 << 20;
  split.infer = InferSplit;
  split.kernels.push_back(rt::MakeStatelessKernel("ref.Split", RunSplit));
  r.Register(std::move(split));
}

}  // namespace samq::backends
