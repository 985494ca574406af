// Gather, GatherElements and GatherND. Indices are int32 or int64 and may be negative (counted
// from the back of the axis); an index outside [-dim, dim) is a user error naming it.
#include <algorithm>

#include "backends/reference/shape_util.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

Result<std::vector<int64_t>> ReadIndices(const ir::Node& node, const Tensor& t) {
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)
    return NodeError(node, "indices must be int64 or int32, got {}", dtype_name(t.dtype()));
  return t.AsInt64Vector();
}

// Wraps a negative index; a user error when out of range.
Result<int64_t> FixIndex(const ir::Node& node, int64_t i, int64_t dim, int64_t axis) {
  if (i < -dim || i >= dim)
    return NodeError(node, "index {} is out of range for axis {} of size {} (allowed: [{}, {}])", i, axis,
                     dim, -dim, dim - 1);
  return i < 0 ? i + dim : i;
}

Status CheckIndicesType(rt::InferContext& ctx, int i) {
  const DType d = ctx.input_type(i).dtype;
  if (d != DType::kUndefined && d != DType::kInt64 && d != DType::kInt32)
    return ctx.Error("indices must be int64 or int32, got {}", dtype_name(d));
  return Status::Ok();
}

// ---- Gather -------------------------------------------------------------------------------

Status InferGather(rt::InferContext& ctx) {
  const auto& data = ctx.input_type(0);
  const auto& idx = ctx.input_type(1);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), data.dtype));
  SAMQ_RETURN_IF_ERROR(CheckIndicesType(ctx, 1));
  if (!data.rank_known || !idx.rank_known) {
    ctx.set_output_unknown_rank(0, data.dtype);
    return Status::Ok();
  }
  if (data.rank() == 0) return ctx.Error("data must have rank >= 1, got a scalar");
  SAMQ_ASSIGN_OR_RETURN(auto ax, NormalizeAxes(ctx.node(), {ctx.node().attr_int("axis", 0)}, data.rank(), "axis"));
  Shape out(data.dims.begin(), data.dims.begin() + ax[0]);
  out.insert(out.end(), idx.dims.begin(), idx.dims.end());
  out.insert(out.end(), data.dims.begin() + ax[0] + 1, data.dims.end());
  ctx.set_output(0, data.dtype, out);
  return Status::Ok();
}

Status RunGather(rt::KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  int64_t axis = ctx.node().attr_int("axis", 0);
  if (axis < 0) axis += data.rank();
  SAMQ_ASSIGN_OR_RETURN(auto indices, ReadIndices(ctx.node(), ctx.input(1)));
  const int64_t dim = data.dim(axis);
  for (auto& i : indices) {
    SAMQ_ASSIGN_OR_RETURN(i, FixIndex(ctx.node(), i, dim, axis));
  }
  Tensor& out = ctx.output(0);
  if (out.numel() == 0) return Status::Ok();
  const size_t elem = dtype_size(data.dtype());
  const int64_t outer = DimProduct(data.shape(), 0, axis);
  const int64_t block = DimProduct(data.shape(), axis + 1, data.rank()) * static_cast<int64_t>(elem);
  const int64_t n = static_cast<int64_t>(indices.size());
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, block));
  parallel_for(outer * n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t job = begin; job < end; ++job) {
      const int64_t o = job / n, j = job % n;
      std::memcpy(dst + job * block, src + (o * dim + indices[j]) * block, static_cast<size_t>(block));
    }
  });
  return Status::Ok();
}

// ---- GatherElements -----------------------------------------------------------------------

Status InferGatherElements(rt::InferContext& ctx) {
  const auto& data = ctx.input_type(0);
  const auto& idx = ctx.input_type(1);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), data.dtype));
  SAMQ_RETURN_IF_ERROR(CheckIndicesType(ctx, 1));
  if (data.rank_known && idx.rank_known) {
    if (data.rank() != idx.rank() || data.rank() == 0)
      return ctx.Error("data {} and indices {} must have the same rank >= 1", data.str(), idx.str());
    SAMQ_RETURN_IF_ERROR(NormalizeAxes(ctx.node(), {ctx.node().attr_int("axis", 0)}, data.rank(), "axis").status());
  }
  if (idx.rank_known) ctx.set_output(0, data.dtype, idx.dims);
  else ctx.set_output_unknown_rank(0, data.dtype);
  return Status::Ok();
}

Status RunGatherElements(rt::KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& idx_t = ctx.input(1);
  const int64_t r = data.rank();
  int64_t axis = ctx.node().attr_int("axis", 0);
  if (axis < 0) axis += r;
  SAMQ_ASSIGN_OR_RETURN(auto indices, ReadIndices(ctx.node(), idx_t));
  for (int64_t k = 0; k < r; ++k)
    if (k != axis && idx_t.dim(k) > data.dim(k))
      return ctx.Error("indices {} exceed data {} on axis {}", shape_str(idx_t.shape()), shape_str(data.shape()), k);
  Tensor& out = ctx.output(0);
  const size_t elem = dtype_size(data.dtype());
  const Shape ds = ContiguousStrides(data.shape());
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  std::vector<int64_t> pos(r, 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    SAMQ_ASSIGN_OR_RETURN(int64_t j, FixIndex(ctx.node(), indices[i], data.dim(axis), axis));
    int64_t off = 0;
    for (int64_t k = 0; k < r; ++k) off += (k == axis ? j : pos[k]) * ds[k];
    CopyElement(dst + i * elem, src + off * elem, elem);
    for (int64_t k = r - 1; k >= 0; --k) {
      if (++pos[k] < idx_t.dim(k)) break;
      pos[k] = 0;
    }
  }
  return Status::Ok();
}

// ---- GatherND -----------------------------------------------------------------------------

Status InferGatherND(rt::InferContext& ctx) {
  const auto& data = ctx.input_type(0);
  const auto& idx = ctx.input_type(1);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), data.dtype));
  if (idx.dtype != DType::kUndefined && idx.dtype != DType::kInt64)
    return ctx.Error("indices must be int64, got {}", dtype_name(idx.dtype));
  const int64_t b = ctx.node().attr_int("batch_dims", 0);
  if (idx.rank_known && idx.rank() == 0) return ctx.Error("indices must have rank >= 1, got a scalar");
  if (!data.rank_known || !idx.rank_known || idx.dims.back() < 0) {
    ctx.set_output_unknown_rank(0, data.dtype);
    return Status::Ok();
  }
  const int64_t last = idx.dims.back();
  if (b < 0 || b >= idx.rank() || b >= data.rank() || last > data.rank() - b)
    return ctx.Error("indices {} with batch_dims {} do not fit data {}", idx.str(), b, data.str());
  Shape out(idx.dims.begin(), idx.dims.end() - 1);
  out.insert(out.end(), data.dims.begin() + b + last, data.dims.end());
  ctx.set_output(0, data.dtype, out);
  return Status::Ok();
}

Status RunGatherND(rt::KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& idx_t = ctx.input(1);
  const int64_t b = ctx.node().attr_int("batch_dims", 0);
  const int64_t last = idx_t.dim(-1);
  for (int64_t k = 0; k < b; ++k)
    if (idx_t.dim(k) != data.dim(k))
      return ctx.Error("batch dim {} differs: indices {} vs data {}", k, shape_str(idx_t.shape()), shape_str(data.shape()));
  const auto indices = idx_t.AsInt64Vector();
  const size_t elem = dtype_size(data.dtype());
  const Shape ds = ContiguousStrides(data.shape());
  const int64_t batches = DimProduct(data.shape(), 0, b);
  const int64_t batch_stride = b == 0 ? 0 : ds[b - 1];
  const int64_t per_batch = DimProduct(idx_t.shape(), b, idx_t.rank() - 1);
  const int64_t block = DimProduct(data.shape(), b + last, data.rank()) * static_cast<int64_t>(elem);
  const auto* src = static_cast<const uint8_t*>(data.raw());
  auto* dst = static_cast<uint8_t*>(ctx.output(0).raw());
  for (int64_t bi = 0; bi < batches; ++bi) {
    for (int64_t t = 0; t < per_batch; ++t) {
      const int64_t* tuple = indices.data() + (bi * per_batch + t) * last;
      int64_t off = bi * batch_stride;
      for (int64_t k = 0; k < last; ++k) {
        SAMQ_ASSIGN_OR_RETURN(int64_t j, FixIndex(ctx.node(), tuple[k], data.dim(b + k), b + k));
        off += j * ds[b + k];
      }
      std::memcpy(dst + (bi * per_batch + t) * block, src + off * static_cast<int64_t>(elem), static_cast<size_t>(block));
    }
  }
  return Status::Ok();
}

void Add(rt::OpRegistry& r, const char* op, rt::InferFn infer, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = s.max_inputs = 2;
  s.infer = std::move(infer);
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, std::move(run)));
  r.Register(std::move(s));
}

}  // namespace

void RegisterGatherOps(rt::OpRegistry& r) {
  Add(r, "Gather", InferGather, RunGather);
  Add(r, "GatherElements", InferGatherElements, RunGatherElements);
  Add(r, "GatherND", InferGatherND, RunGatherND);
}

}  // namespace samq::backends
