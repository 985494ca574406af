// ScatterND and ScatterElements, with the `reduction` attribute (none, add, mul, max, min) of
// opsets 16/18. The output starts as a copy of the data; updates are applied in index order, so
// duplicate indices with reduction 'none' keep the last update (as ONNX Runtime does).
#include <algorithm>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/shape_util.h"
#include "core/float_convert.h"

namespace samq::backends {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Result<Reduction> ReadReduction(const ir::Node& node, DType dt) {
  const std::string s = node.attr_string("reduction", "none");
  Reduction r;
  if (s == "none") r = Reduction::kNone;
  else if (s == "add") r = Reduction::kAdd;
  else if (s == "mul") r = Reduction::kMul;
  else if (s == "max") r = Reduction::kMax;
  else if (s == "min") r = Reduction::kMin;
  else return NodeError(node, "reduction '{}' is not supported; supported: none, add, mul, max, min", s);
  if (r != Reduction::kNone && dt != DType::kUndefined && (dt == DType::kBool || dtype_size(dt) == 0))
    return NodeError(node, "reduction '{}' is not supported for dtype {}", s, dtype_name(dt));
  return r;
}

// dst[0] = dst[0] (op) src[0] for one element of dtype dt.
void Apply(Reduction r, DType dt, void* dst, const void* src, size_t elem) {
  if (r == Reduction::kNone) {
    CopyElement(dst, src, elem);
    return;
  }
  auto combine = [r](auto a, auto b) {
    switch (r) {
      case Reduction::kAdd: return WrapAdd(a, b);
      case Reduction::kMul: return WrapMul(a, b);
      case Reduction::kMax: return std::max(a, b);
      case Reduction::kMin: return std::min(a, b);
      default: return b;
    }
  };
  const bool native = VisitNativeNumeric(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* d = static_cast<T*>(dst);
    *d = combine(*d, *static_cast<const T*>(src));
  });
  if (!native) {  // fp16 / bf16 / fp8: through double, rounded back once
    double v = combine(element_as_double(dt, dst, 0), element_as_double(dt, src, 0));
    element_from_double(dt, dst, 0, v);
  }
}

Status InferScatter(rt::InferContext& ctx) {
  const auto& data = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), data.dtype));
  SAMQ_RETURN_IF_ERROR(ReadReduction(ctx.node(), data.dtype).status());
  const DType it = ctx.input_type(1).dtype;
  if (it != DType::kUndefined && it != DType::kInt64 && it != DType::kInt32)
    return ctx.Error("indices must be int64 or int32, got {}", dtype_name(it));
  if (data.rank_known) ctx.set_output(0, data.dtype, data.dims);
  else ctx.set_output_unknown_rank(0, data.dtype);
  return Status::Ok();
}

Result<int64_t> FixIndex(const ir::Node& node, int64_t i, int64_t dim, int64_t axis) {
  if (i < -dim || i >= dim)
    return NodeError(node, "index {} is out of range for axis {} of size {}", i, axis, dim);
  return i < 0 ? i + dim : i;
}

Status RunScatterND(rt::KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& idx_t = ctx.input(1);
  const Tensor& upd = ctx.input(2);
  SAMQ_ASSIGN_OR_RETURN(Reduction red, ReadReduction(ctx.node(), data.dtype()));
  if (idx_t.rank() == 0) return ctx.Error("indices must have rank >= 1");
  const int64_t k = idx_t.dim(-1);
  if (k > data.rank()) return ctx.Error("indices tuples of length {} exceed the data rank {}", k, data.rank());
  Shape expect(idx_t.shape().begin(), idx_t.shape().end() - 1);
  expect.insert(expect.end(), data.shape().begin() + k, data.shape().end());
  if (upd.shape() != expect)
    return ctx.Error("updates have shape {}, expected {}", shape_str(upd.shape()), shape_str(expect));
  Tensor& out = ctx.output(0);
  std::memcpy(out.raw(), data.raw(), data.nbytes());
  const auto indices = idx_t.AsInt64Vector();
  const size_t elem = dtype_size(data.dtype());
  const Shape ds = ContiguousStrides(data.shape());
  const int64_t block = DimProduct(data.shape(), k, data.rank());
  const int64_t tuples = k == 0 ? shape_numel(expect) / std::max<int64_t>(1, block) : static_cast<int64_t>(indices.size()) / k;
  auto* dst = static_cast<uint8_t*>(out.raw());
  const auto* src = static_cast<const uint8_t*>(upd.raw());
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      SAMQ_ASSIGN_OR_RETURN(int64_t v, FixIndex(ctx.node(), indices[t * k + j], data.dim(j), j));
      off += v * ds[j];
    }
    for (int64_t e = 0; e < block; ++e)
      Apply(red, data.dtype(), dst + (off + e) * elem, src + (t * block + e) * elem, elem);
  }
  return Status::Ok();
}

Status RunScatterElements(rt::KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& idx_t = ctx.input(1);
  const Tensor& upd = ctx.input(2);
  SAMQ_ASSIGN_OR_RETURN(Reduction red, ReadReduction(ctx.node(), data.dtype()));
  const int64_t r = data.rank();
  if (idx_t.rank() != r || upd.shape() != idx_t.shape())
    return ctx.Error("indices {} and updates {} must have one shape of the data's rank {}",
                     shape_str(idx_t.shape()), shape_str(upd.shape()), r);
  SAMQ_ASSIGN_OR_RETURN(auto ax, NormalizeAxes(ctx.node(), {ctx.node().attr_int("axis", 0)}, r, "axis"));
  const int64_t axis = ax[0];
  Tensor& out = ctx.output(0);
  std::memcpy(out.raw(), data.raw(), data.nbytes());
  const auto indices = idx_t.AsInt64Vector();
  const size_t elem = dtype_size(data.dtype());
  const Shape ds = ContiguousStrides(data.shape());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const auto* src = static_cast<const uint8_t*>(upd.raw());
  std::vector<int64_t> pos(r, 0);
  for (int64_t i = 0; i < idx_t.numel(); ++i) {
    SAMQ_ASSIGN_OR_RETURN(int64_t j, FixIndex(ctx.node(), indices[i], data.dim(axis), axis));
    int64_t off = 0;
    for (int64_t k = 0; k < r; ++k) {
      if (k != axis && pos[k] >= data.dim(k))
        return ctx.Error("indices {} exceed data {} on axis {}", shape_str(idx_t.shape()), shape_str(data.shape()), k);
      off += (k == axis ? j : pos[k]) * ds[k];
    }
    Apply(red, data.dtype(), dst + off * elem, src + i * elem, elem);
    for (int64_t k = r - 1; k >= 0; --k) {
      if (++pos[k] < idx_t.dim(k)) break;
      pos[k] = 0;
    }
  }
  return Status::Ok();
}

void Add(rt::OpRegistry& r, const char* op, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = s.max_inputs = 3;
  s.infer = InferScatter;
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, std::move(run)));
  r.Register(std::move(s));
}

}  // namespace

void RegisterScatterOps(rt::OpRegistry& r) {
  Add(r, "ScatterND", RunScatterND);
  Add(r, "ScatterElements", RunScatterElements);
  // Scatter (opsets 9-10) is ScatterElements under its old name, without reduction.
  Add(r, "Scatter", RunScatterElements);
}

}  // namespace samq::backends
