#include "backends/reference/shape_util.h"

#include <algorithm>

#include "core/parallel.h"

namespace samq::backends {

Shape ContiguousStrides(const Shape& dims) {
  Shape s(dims.size(), 1);
  for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

int64_t DimProduct(const Shape& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) {
    if (dims[i] < 0) return -1;
    p *= dims[i];
  }
  return p;
}

Result<std::vector<int64_t>> ReadInts(const ir::Node& node, const Tensor& t, std::string_view what) {
  if (!dtype_is_integer(t.dtype()))
    return NodeError(node, "{} must be an integer tensor (int64 or int32), got {}", what,
                     dtype_name(t.dtype()));
  return t.AsInt64Vector();
}

Result<std::vector<int64_t>> NormalizeAxes(const ir::Node& node, std::vector<int64_t> axes,
                                           int64_t rank, std::string_view what, bool unique) {
  for (auto& a : axes) {
    if (a < -rank || a >= rank)
      return NodeError(node, "{} value {} is out of range for rank {} (allowed: [{}, {}])", what, a,
                       rank, -rank, rank - 1);
    if (a < 0) a += rank;
  }
  if (unique) {
    std::vector<int64_t> sorted = axes;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      return NodeError(node, "{} contains a repeated axis", what);
  }
  return axes;
}

namespace {
template <typename Ctx>
Result<IntsArg> ReadIntsArgImpl(const Ctx& ctx, const Tensor* value, int input, std::string_view attr) {
  IntsArg arg;
  const ir::Node& node = ctx.node();
  if (input >= 0 && node.has_input(input)) {
    arg.present = true;
    if (value) {
      SAMQ_ASSIGN_OR_RETURN(arg.values, ReadInts(node, *value, "input '" + node.inputs[input] + "'"));
      arg.known = true;
    }
    return arg;
  }
  if (const ir::Attribute* a = node.attr(attr)) {
    if (a->type != ir::AttrType::kInts && a->type != ir::AttrType::kInt)
      return NodeError(node, "attribute '{}' must be a list of ints, got {}", attr,
                       ir::attr_type_name(a->type));
    arg.present = arg.known = true;
    arg.values = a->type == ir::AttrType::kInts ? a->ints : std::vector<int64_t>{a->i};
  }
  return arg;
}
}  // namespace

Result<IntsArg> ReadIntsArg(const rt::InferContext& ctx, int input, std::string_view attr) {
  return ReadIntsArgImpl(ctx, input >= 0 ? ctx.input_value(input) : nullptr, input, attr);
}

Result<IntsArg> ReadIntsArg(const rt::KernelContext& ctx, int input, std::string_view attr) {
  const Tensor* v = input >= 0 && ctx.has_input(input) ? &ctx.input(input) : nullptr;
  return ReadIntsArgImpl(ctx, v, input, attr);
}

Status CheckMovableDtype(const ir::Node& node, DType t) {
  if (t == DType::kUndefined) return Status::Ok();  // not known yet (compile time)
  if (dtype_size(t) == 0)
    return NodeError(node, "dtype {} is not supported (samq tensors hold numeric and bool data only)",
                     dtype_name(t));
  return Status::Ok();
}

void FillElements(void* dst, const void* value, int64_t count, size_t elem) {
  if (count <= 0) return;
  auto* d = static_cast<uint8_t*>(dst);
  bool zero = true;
  for (size_t b = 0; b < elem; ++b) zero = zero && static_cast<const uint8_t*>(value)[b] == 0;
  if (zero) {
    std::memset(d, 0, static_cast<size_t>(count) * elem);
    return;
  }
  // Doubling copies: log2(count) memcpy calls instead of `count` element stores.
  std::memcpy(d, value, elem);
  int64_t done = 1;
  while (done < count) {
    int64_t n = std::min(done, count - done);
    std::memcpy(d + done * elem, d, static_cast<size_t>(n) * elem);
    done += n;
  }
}

void StridedCopyBytes(const void* in, int64_t in_offset, const Shape& in_strides,
                      const Shape& out_dims, size_t elem, void* out) {
  const int64_t numel = shape_numel(out_dims);
  if (numel <= 0) return;
  // Drop size-1 dims and merge neighbours that the input also walks contiguously.
  Shape dims, strides;
  for (size_t k = 0; k < out_dims.size(); ++k) {
    if (out_dims[k] == 1) continue;
    if (!dims.empty() && strides.back() == in_strides[k] * out_dims[k]) {
      dims.back() *= out_dims[k];
      strides.back() = in_strides[k];
    } else {
      dims.push_back(out_dims[k]);
      strides.push_back(in_strides[k]);
    }
  }
  const auto* src = static_cast<const uint8_t*>(in);
  auto* dst = static_cast<uint8_t*>(out);
  if (dims.empty()) {
    std::memcpy(dst, src + in_offset * static_cast<int64_t>(elem), elem);
    return;
  }
  const int r = static_cast<int>(dims.size());
  const int64_t inner = dims[r - 1], inner_stride = strides[r - 1];
  const int64_t rows = numel / inner;
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, inner * elem));
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    // Row counters over dims[0, r-1), initialised from `begin` and then incremented.
    std::vector<int64_t> idx(r, 0);
    int64_t off = in_offset, rem = begin;
    for (int k = r - 2; k >= 0; --k) {
      idx[k] = rem % dims[k];
      rem /= dims[k];
      off += idx[k] * strides[k];
    }
    for (int64_t row = begin; row < end; ++row) {
      uint8_t* d = dst + row * inner * static_cast<int64_t>(elem);
      if (inner_stride == 1) {
        std::memcpy(d, src + off * static_cast<int64_t>(elem), static_cast<size_t>(inner) * elem);
      } else {
        for (int64_t i = 0; i < inner; ++i)
          CopyElement(d + i * static_cast<int64_t>(elem),
                      src + (off + i * inner_stride) * static_cast<int64_t>(elem), elem);
      }
      for (int k = r - 2; k >= 0; --k) {
        off += strides[k];
        if (++idx[k] < dims[k]) break;
        off -= idx[k] * strides[k];
        idx[k] = 0;
      }
    }
  });
}

}  // namespace samq::backends
