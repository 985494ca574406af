// QuantizeLinear and DequantizeLinear (opsets 10-21+): per-tensor, per-axis and blocked
// (opset 21, `block_size`) scales; integer targets uint8/int8/uint16/int16/uint4/int4 and
// float8 e4m3fn/e5m2 (with `saturate`); `output_dtype` (Q: opset 21, DQ: opset 23).
//
// Arithmetic follows ONNX's reference implementation, which ONNX Runtime matches:
//   Q:  y = clamp(rint(x / scale) + zero_point, qmin, qmax), rint = round half to even, the
//       division done in x's own precision (a float16 quotient is rounded to float16);
//       float8: y = cast(x / scale) with saturation (the zero point must be 0 and is unused).
//   DQ: y = (float32(x) - float32(zero_point)) * scale, then rounded to the output dtype.
// A NaN input quantizes to qmin, as the reference's int32 conversion then clip gives.
#include <cmath>
#include <string>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/reference_families.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

enum class Mode { kPerTensor, kPerAxis, kBlocked };

// Where element (o, a, i) of x = [outer, axis_len, inner] finds its scale.
struct Layout {
  Mode mode = Mode::kPerTensor;
  int64_t outer = 1, axis_len = 1, inner = 1, block = 0, num_blocks = 1;
  int64_t ScaleIndex(int64_t o, int64_t a, int64_t i) const {
    switch (mode) {
      case Mode::kPerTensor: return 0;
      case Mode::kPerAxis: return a;
      case Mode::kBlocked: return (o * num_blocks + a / block) * inner + i;
    }
    return 0;
  }
};

// Works out the layout from the shapes; a user error when scale (or zero point) fits none.
Result<Layout> ResolveLayout(const ir::Node& node, const Shape& x, const Shape& scale,
                             const Shape* zp) {
  // A one-element zero point beside a scalar scale (or the reverse) is still per-tensor.
  if (zp && *zp != scale && !(shape_numel(*zp) == 1 && shape_numel(scale) == 1))
    return Status::UserF("{}: zero point shape {} differs from scale shape {}", node.describe(),
                         shape_str(*zp), shape_str(scale));
  Layout l;
  const int64_t block = node.attr_int("block_size", 0);
  if (block < 0) return Status::UserF("{}: block_size {} must be >= 0", node.describe(), block);
  if (shape_numel(scale) == 1) return l;  // per-tensor (as ONNX's reference)
  const int64_t rank = static_cast<int64_t>(x.size());
  const int64_t axis_attr = node.attr_int("axis", 1);
  auto axis = NormalizeAxis(axis_attr, rank);
  if (!axis)
    return Status::UserF("{}: axis {} is out of range for input rank {}", node.describe(), axis_attr, rank);
  for (int64_t d = 0; d < *axis; ++d) l.outer *= x[d];
  l.axis_len = x[*axis];
  for (int64_t d = *axis + 1; d < rank; ++d) l.inner *= x[d];
  if (block == 0) {
    if (scale.size() != 1 || scale[0] != l.axis_len)
      return Status::UserF("{}: per-axis scale must have shape [{}] (input dim {}), got {}",
                           node.describe(), l.axis_len, *axis, shape_str(scale));
    l.mode = Mode::kPerAxis;
    return l;
  }
  l.mode = Mode::kBlocked;
  l.block = block;
  l.num_blocks = (l.axis_len + block - 1) / block;
  Shape want = x;
  want[*axis] = l.num_blocks;
  if (scale != want)
    return Status::UserF("{}: blocked scale (block_size {}, axis {}) must have shape {}, got {}",
                         node.describe(), block, *axis, shape_str(want), shape_str(scale));
  return l;
}

bool IsQuantType(DType t) {
  switch (t) {
    case DType::kUInt8: case DType::kInt8: case DType::kUInt16: case DType::kInt16:
    case DType::kUInt4: case DType::kInt4: case DType::kFloat8E4M3FN: case DType::kFloat8E5M2:
      return true;
    default: return false;
  }
}

std::pair<double, double> QuantRange(DType t) {
  switch (t) {
    case DType::kUInt8: return {0, 255};
    case DType::kInt8: return {-128, 127};
    case DType::kUInt16: return {0, 65535};
    case DType::kInt16: return {-32768, 32767};
    case DType::kUInt4: return {0, 15};
    case DType::kInt4: return {-8, 7};
    default: return {0, 0};
  }
}

// Output dtype of QuantizeLinear: the zero point's type, else output_dtype, else uint8.
Result<DType> QuantizeOutputType(const ir::Node& node, bool has_zp, DType zp_type) {
  const int64_t code = node.attr_int("output_dtype", 0);
  std::optional<DType> attr;
  if (code != 0) {
    attr = dtype_from_onnx(static_cast<int32_t>(code));
    if (!attr || !IsQuantType(*attr))
      return Status::UserF("{}: output_dtype {} is not supported; supported: uint8, int8, uint16, "
                           "int16, uint4, int4, float8e4m3fn, float8e5m2", node.describe(), code);
  }
  DType out = attr.value_or(DType::kUInt8);
  if (has_zp && zp_type != DType::kUndefined) {
    if (attr && *attr != zp_type)
      return Status::UserF("{}: output_dtype {} differs from the zero point type {}",
                           node.describe(), dtype_name(*attr), dtype_name(zp_type));
    out = zp_type;
  }
  if (!IsQuantType(out))
    return Status::UserF("{}: quantized type {} is not supported; supported: uint8, int8, uint16, "
                         "int16, uint4, int4, float8e4m3fn, float8e5m2", node.describe(), dtype_name(out));
  return out;
}

// Calls fn(x_index, scale_index) for every element, rows in parallel.
template <typename Fn>
void ForEachQuantElement(const Layout& l, int64_t numel, Fn fn) {
  if (l.mode == Mode::kPerTensor) {
    parallel_for(numel, 1 << 14, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) fn(i, 0);
    });
    return;
  }
  parallel_for(l.outer * l.axis_len, std::max<int64_t>(1, 16384 / std::max<int64_t>(l.inner, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t row = b; row < e; ++row) {
                   const int64_t o = row / l.axis_len, a = row % l.axis_len;
                   for (int64_t i = 0; i < l.inner; ++i) fn(row * l.inner + i, l.ScaleIndex(o, a, i));
                 }
               });
}

// --- QuantizeLinear ---------------------------------------------------------------------------

Status InferQuantize(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  if (x.dtype != DType::kUndefined && !dtype_is_float(x.dtype) && x.dtype != DType::kInt32)
    return ctx.Error("input type {} is not supported; supported: float types, int32", dtype_name(x.dtype));
  SAMQ_ASSIGN_OR_RETURN(DType out, QuantizeOutputType(ctx.node(), ctx.has_input(2),
                                                      ctx.has_input(2) ? ctx.input_type(2).dtype : DType::kUndefined));
  const auto& s = ctx.input_type(1);
  if (x.fully_known() && s.fully_known()) {
    const bool zp_known = ctx.has_input(2) && ctx.input_type(2).fully_known();
    SAMQ_RETURN_IF_ERROR(ResolveLayout(ctx.node(), x.dims, s.dims, zp_known ? &ctx.input_type(2).dims : nullptr).status());
  }
  if (x.rank_known) ctx.set_output(0, out, x.dims);
  else ctx.set_output_unknown_rank(0, out);
  return Status::Ok();
}

Status RunQuantize(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  SAMQ_ASSIGN_OR_RETURN(Layout l, ResolveLayout(ctx.node(), x.shape(), scale.shape(), zp ? &zp->shape() : nullptr));
  Tensor& y = ctx.output(0);
  const DType out = y.dtype();
  const bool fp8 = out == DType::kFloat8E4M3FN || out == DType::kFloat8E5M2;
  const bool saturate = ctx.node().attr_int("saturate", 1) != 0;
  // Everything becomes float32; a narrow-float x rounds its quotient back to its own format.
  const Tensor xf = WidenToFloat32(x), sf = WidenToFloat32(scale);
  const float* xv = xf.data<float>();
  const float* sv = sf.data<float>();
  const DType narrow = IsNarrowFloat(x.dtype()) ? x.dtype() : DType::kUndefined;
  const auto [qmin, qmax] = QuantRange(out);
  std::vector<double> zps;
  if (zp && !fp8) zps = zp->AsDoubleVector();
  void* raw = y.raw();
  ForEachQuantElement(l, x.numel(), [&](int64_t i, int64_t si) {
    float q = xv[i] / sv[si];
    if (narrow == DType::kFloat16) q = half_to_float(float_to_half(q));
    else if (narrow == DType::kBFloat16) q = bf16_to_float(float_to_bf16(q));
    if (fp8) {
      static_cast<uint8_t*>(raw)[i] = FloatToFp8(out, q, saturate);
      return;
    }
    double v = std::nearbyint(q);
    if (!zps.empty()) v += zps[si];
    v = std::isnan(v) ? qmin : std::min(std::max(v, qmin), qmax);
    element_from_double(out, raw, i, v);
  });
  return Status::Ok();
}

// --- DequantizeLinear -------------------------------------------------------------------------

bool IsDequantInput(DType t) { return IsQuantType(t) || t == DType::kInt32; }

Result<DType> DequantizeOutputType(const ir::Node& node, DType scale_type) {
  const int64_t code = node.attr_int("output_dtype", 0);
  if (code == 0) return scale_type == DType::kUndefined ? DType::kFloat32 : scale_type;
  auto t = dtype_from_onnx(static_cast<int32_t>(code));
  if (!t || !dtype_is_float(*t))
    return Status::UserF("{}: output_dtype {} is not supported; supported: float types", node.describe(), code);
  return *t;
}

Status InferDequantize(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  if (x.dtype != DType::kUndefined && !IsDequantInput(x.dtype))
    return ctx.Error("input type {} is not supported; supported: uint8, int8, uint16, int16, uint4, "
                     "int4, int32, float8e4m3fn, float8e5m2", dtype_name(x.dtype));
  const DType st = ctx.input_type(1).dtype;
  if (st != DType::kUndefined && !dtype_is_float(st))
    return ctx.Error("scale type {} is not supported; supported: float types", dtype_name(st));
  if (ctx.has_input(2)) {
    const DType zt = ctx.input_type(2).dtype;
    if (zt != DType::kUndefined && x.dtype != DType::kUndefined && zt != x.dtype)
      return ctx.Error("zero point type {} differs from the input type {}", dtype_name(zt), dtype_name(x.dtype));
  }
  SAMQ_ASSIGN_OR_RETURN(DType out, DequantizeOutputType(ctx.node(), st));
  const auto& s = ctx.input_type(1);
  if (x.fully_known() && s.fully_known()) {
    const bool zp_known = ctx.has_input(2) && ctx.input_type(2).fully_known();
    SAMQ_RETURN_IF_ERROR(ResolveLayout(ctx.node(), x.dims, s.dims, zp_known ? &ctx.input_type(2).dims : nullptr).status());
  }
  if (x.rank_known) ctx.set_output(0, out, x.dims);
  else ctx.set_output_unknown_rank(0, out);
  return Status::Ok();
}

Status RunDequantize(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  SAMQ_ASSIGN_OR_RETURN(Layout l, ResolveLayout(ctx.node(), x.shape(), scale.shape(), zp ? &zp->shape() : nullptr));
  const bool fp8 = x.dtype() == DType::kFloat8E4M3FN || x.dtype() == DType::kFloat8E5M2;
  const Tensor xf = WidenToFloat32(x), sf = WidenToFloat32(scale);
  std::vector<float> zps;
  if (zp) {
    Tensor zf = WidenToFloat32(*zp);
    zps.assign(zf.data<float>(), zf.data<float>() + zf.numel());
    if (fp8)
      for (float z : zps)
        if (z != 0.0f) return ctx.Error("a float8 zero point must be 0, got {}", z);
  }
  const float* xv = xf.data<float>();
  const float* sv = sf.data<float>();
  const DType out = ctx.output_type(0).dtype;
  Tensor wide = out == DType::kFloat32 ? ctx.output(0) : Tensor::Zeros(DType::kFloat32, x.shape());
  float* y = wide.data<float>();
  ForEachQuantElement(l, x.numel(), [&](int64_t i, int64_t si) {
    const float d = zps.empty() ? xv[i] : xv[i] - zps[si];
    y[i] = d * sv[si];
  });
  if (out != DType::kFloat32) {
    Tensor& o = ctx.output(0);
    for (int64_t i = 0; i < x.numel(); ++i) element_from_double(out, o.raw(), i, y[i]);
  }
  return Status::Ok();
}

}  // namespace

void RegisterQuantOps(rt::OpRegistry& r) {
  {
    rt::OpSchema s;
    s.op_type = "QuantizeLinear";
    s.min_inputs = 2;
    s.max_inputs = 3;
    s.infer = InferQuantize;
    s.kernels.push_back(rt::MakeStatelessKernel("ref.QuantizeLinear", RunQuantize));
    r.Register(std::move(s));
  }
  {
    rt::OpSchema s;
    s.op_type = "DequantizeLinear";
    s.min_inputs = 2;
    s.max_inputs = 3;
    s.infer = InferDequantize;
    s.kernels.push_back(rt::MakeStatelessKernel("ref.DequantizeLinear", RunDequantize));
    r.Register(std::move(s));
  }
}

}  // namespace samq::backends
