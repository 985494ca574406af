// Cast and CastLike between every dtype samq holds.
//
// Rules (ONNX Cast, with ONNX Runtime / NumPy behaviour where ONNX leaves it open):
// - float -> integer truncates toward zero. Out-of-range values follow the x86 conversion that
//   NumPy and ONNX Runtime use: convert to int32 (int64/uint32/uint64 targets: int64), where NaN
//   and overflow give the "integer indefinite" minimum, then wrap to the target width.
// - integer -> narrower integer wraps (two's complement), as C and NumPy do; INT4/UINT4 wrap to
//   4 bits (ONNX's reference: 8 -> -8 for int4).
// - anything -> bool is `!= 0` (NaN is true); bool -> anything is 0 / 1.
// - -> fp16/bf16/fp8 rounds to nearest even. A float64 source is first narrowed to float32 with
//   round-to-odd, which makes the two roundings equal to one direct rounding. fp8 targets
//   saturate to the largest finite value unless `saturate` = 0 (opset 19).
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/reference_families.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// double -> float rounding toward zero, then setting the last bit if anything was lost
// ("round to odd"): a later round-to-nearest to a format with fewer than 23 fraction bits then
// gives the correctly rounded result.
float DoubleToFloatRoundOdd(double d) {
  if (!std::isfinite(d)) return static_cast<float>(d);
  float f = static_cast<float>(d);
  if (std::isinf(f)) return f;  // beyond float range: narrow formats overflow anyway
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
  if (static_cast<double>(f) != d) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u |= 1;
    std::memcpy(&f, &u, 4);
  }
  return f;
}

template <typename S>
float ToFloatForNarrowing(S v) {
  if constexpr (std::is_same_v<S, double>) return DoubleToFloatRoundOdd(v);
  else if constexpr (std::is_same_v<S, float>) return v;
  else return DoubleToFloatRoundOdd(static_cast<double>(v));
}

// Float -> integer type U as described at the top of the file.
template <typename U>
U FloatToInt(double v) {
  v = std::trunc(v);
  if constexpr (sizeof(U) == 8 || std::is_same_v<U, uint32_t>) {
    const bool fits = v >= -9223372036854775808.0 && v < 9223372036854775808.0;
    int64_t t = fits ? static_cast<int64_t>(v) : std::numeric_limits<int64_t>::min();
    if constexpr (std::is_same_v<U, uint64_t>) {
      if (!fits && v >= 0 && v < 18446744073709551616.0) return static_cast<uint64_t>(v);
    }
    return static_cast<U>(t);
  } else {
    const bool fits = v >= -2147483648.0 && v < 2147483648.0;
    int32_t t = fits ? static_cast<int32_t>(v) : std::numeric_limits<int32_t>::min();
    return static_cast<U>(t);
  }
}

template <typename S, typename U>
U ConvertScalar(S v) {
  if constexpr (std::is_floating_point_v<S> && std::is_integral_v<U>) return FloatToInt<U>(v);
  else return static_cast<U>(v);
}

int64_t WrapToNibble(int64_t v, bool is_signed) {
  int64_t low = v & 0xF;
  return is_signed ? ((low ^ 8) - 8) : low;
}

// Converts n elements of native type S into `out` (any dtype samq holds).
template <typename S>
bool CastFrom(const S* in, Tensor& out, int64_t n, bool saturate) {
  const DType to = out.dtype();
  void* raw = out.raw();
  if (to == DType::kBool) {
    uint8_t* o = static_cast<uint8_t*>(raw);
    for (int64_t i = 0; i < n; ++i) o[i] = in[i] != S(0);
    return true;
  }
  if (to == DType::kInt4 || to == DType::kUInt4) {
    int8_t* o = static_cast<int8_t*>(raw);
    for (int64_t i = 0; i < n; ++i)
      o[i] = static_cast<int8_t>(WrapToNibble(ConvertScalar<S, int64_t>(in[i]), to == DType::kInt4));
    return true;
  }
  if (IsNarrowFloat(to)) {
    for (int64_t i = 0; i < n; ++i) {
      float f = ToFloatForNarrowing(in[i]);
      switch (to) {
        case DType::kFloat16: static_cast<uint16_t*>(raw)[i] = float_to_half(f); break;
        case DType::kBFloat16: static_cast<uint16_t*>(raw)[i] = float_to_bf16(f); break;
        default: static_cast<uint8_t*>(raw)[i] = FloatToFp8(to, f, saturate); break;
      }
    }
    return true;
  }
  return VisitNativeNumeric(to, [&](auto tag) {
    using U = typename decltype(tag)::type;
    U* o = static_cast<U*>(raw);
    parallel_for(n, 1 << 14, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = ConvertScalar<S, U>(in[i]);
    });
  });
}

Status CastTensor(const rt::KernelContext& ctx, const Tensor& x, Tensor& out, bool saturate) {
  const int64_t n = x.numel();
  const DType from = x.dtype();
  bool done;
  if (from == DType::kBool || from == DType::kUInt4) {
    done = CastFrom(x.data<uint8_t>(), out, n, saturate);
  } else if (from == DType::kInt4) {
    done = CastFrom(x.data<int8_t>(), out, n, saturate);
  } else if (IsNarrowFloat(from)) {
    // Widening to float32 is exact for every narrow format.
    Tensor wide = WidenToFloat32(x);
    done = CastFrom(wide.data<float>(), out, n, saturate);
  } else {
    done = false;
    VisitNativeNumeric(from, [&](auto tag) {
      using S = typename decltype(tag)::type;
      done = CastFrom(x.data<S>(), out, n, saturate);
    });
  }
  if (!done)
    return ctx.Error("cast from {} to {} is not supported", dtype_name(from), dtype_name(out.dtype()));
  return Status::Ok();
}

Status RunCast(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() == ctx.output_type(0).dtype) {
    ctx.set_output(0, x);  // same type: a view of the input, no copy
    return Status::Ok();
  }
  return CastTensor(ctx, x, ctx.output(0), ctx.node().attr_int("saturate", 1) != 0);
}

Status CheckCastable(const rt::InferContext& ctx, DType from, DType to) {
  auto ok = [](DType t) { return t != DType::kString && t != DType::kUndefined; };
  if (from != DType::kUndefined && !ok(from))
    return ctx.Error("input type {} is not supported", dtype_name(from));
  if (!ok(to)) return ctx.Error("target type {} is not supported", dtype_name(to));
  return Status::Ok();
}

Status InferCast(rt::InferContext& ctx) {
  const ir::Attribute* to_attr = ctx.node().attr("to");
  if (!to_attr || to_attr->type != ir::AttrType::kInt)
    return ctx.Error("attribute 'to' (an int dtype code) is required");
  std::optional<DType> to = dtype_from_onnx(static_cast<int32_t>(to_attr->i));
  if (!to)
    return ctx.Error("to={} is not a supported dtype; supported: float, uint8, int8, uint16, int16, "
                     "int32, int64, bool, float16, double, uint32, uint64, bfloat16, "
                     "float8e4m3fn, float8e5m2, uint4, int4", to_attr->i);
  SAMQ_RETURN_IF_ERROR(CheckCastable(ctx, ctx.input_type(0).dtype, *to));
  const auto& in = ctx.input_type(0);
  if (in.rank_known) ctx.set_output(0, *to, in.dims);
  else ctx.set_output_unknown_rank(0, *to);
  return Status::Ok();
}

Status InferCastLike(rt::InferContext& ctx) {
  DType to = ctx.input_type(1).dtype;
  if (to == DType::kUndefined) return ctx.Error("the type of input 1 (target_type) is unknown");
  SAMQ_RETURN_IF_ERROR(CheckCastable(ctx, ctx.input_type(0).dtype, to));
  const auto& in = ctx.input_type(0);
  if (in.rank_known) ctx.set_output(0, to, in.dims);
  else ctx.set_output_unknown_rank(0, to);
  return Status::Ok();
}

}  // namespace

void RegisterCastOps(rt::OpRegistry& r) {
  {
    rt::OpSchema s;
    s.op_type = "Cast";
    s.min_inputs = s.max_inputs = 1;
    s.infer = InferCast;
    s.kernels.push_back(rt::MakeStatelessKernel("ref.Cast", RunCast));
    r.Register(std::move(s));
  }
  {
    rt::OpSchema s;
    s.op_type = "CastLike";
    s.min_inputs = s.max_inputs = 2;
    s.infer = InferCastLike;
    s.kernels.push_back(rt::MakeStatelessKernel("ref.CastLike", RunCast));
    r.Register(std::move(s));
  }
}

}  // namespace samq::backends
