// Binary elementwise ops with NumPy (multidirectional) broadcasting: arithmetic, comparison,
// logic, Pow, Mod, PRelu, BitShift.
//
// Integer semantics follow ONNX Runtime / NumPy where ONNX leaves them open: +, -, * wrap; Div
// truncates toward zero like C; Mod with fmod=0 takes the sign of the divisor (Python), with
// fmod=1 the sign of the dividend (C fmod). An integer division by zero is a user error rather
// than the processor trap it would be. fp16/bf16/fp8 compute in float32 and round back.
#include <cmath>
#include <string>
#include <type_traits>

#include "backends/reference/binary_loop.h"
#include "backends/reference/dtype_visit.h"
#include "backends/reference/reference_families.h"
#include "core/float_convert.h"

namespace samq::backends {
namespace {

struct AddOp {
  template <typename T> static T f(T a, T b) { return WrapAdd(a, b); }
};
struct SubOp {
  template <typename T> static T f(T a, T b) { return WrapSub(a, b); }
};
struct MulOp {
  template <typename T> static T f(T a, T b) { return WrapMul(a, b); }
};
struct DivOp {
  template <typename T> static T f(T a, T b) {
    // INT_MIN / -1 overflows (and traps on x86); it wraps back to INT_MIN like the negation.
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
      if (b == T(-1)) return WrapSub(T(0), a);
    return static_cast<T>(a / b);
  }
};
// C fmod: the result has the sign of the dividend.
struct FmodOp {
  template <typename T> static T f(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) return std::fmod(a, b);
    else if constexpr (std::is_signed_v<T>) return b == T(-1) ? T(0) : static_cast<T>(a % b);
    else return static_cast<T>(a % b);
  }
};
// Python / numpy %: the result has the sign of the divisor (a zero result too, for floats).
struct PyModOp {
  template <typename T> static T f(T a, T b) {
    T r = FmodOp::f(a, b);
    if constexpr (std::is_floating_point_v<T>) {
      if (r == T(0)) return std::copysign(T(0), b);
      if ((r < T(0)) != (b < T(0))) r += b;
    } else if constexpr (std::is_signed_v<T>) {
      if (r != T(0) && ((r < T(0)) != (b < T(0)))) r = static_cast<T>(r + b);
    }
    return r;
  }
};

bool IsBool(DType t) { return t == DType::kBool; }
bool IsArithType(DType t) {
  return dtype_is_float(t) || (dtype_is_integer(t) && t != DType::kInt4 && t != DType::kUInt4);
}

// The dtype a binary op's output inherits: the first input's, or the second's when unknown.
DType FirstKnownDtype(const rt::InferContext& ctx) {
  DType t = ctx.input_type(0).dtype;
  return t != DType::kUndefined ? t : ctx.input_type(1).dtype;
}

Status CheckTypes(rt::InferContext& ctx, bool (*ok)(DType), const char* supported) {
  for (int i = 0; i < 2; ++i) {
    DType t = ctx.input_type(i).dtype;
    if (t != DType::kUndefined && !ok(t))
      return ctx.Error("input {} type {} is not supported; supported: {}", i, dtype_name(t), supported);
  }
  return Status::Ok();
}

// Integer Div/Mod: a zero divisor anywhere is reported before any element is computed.
template <typename T>
Status CheckNoZeroDivisor(const rt::KernelContext& ctx, const Tensor& b) {
  if constexpr (std::is_integral_v<T>) {
    for (T v : b.values<T>())
      if (v == T(0)) return ctx.Error("integer division by zero");
  }
  return Status::Ok();
}

// Runs Op on two same-typed inputs producing the same type.
template <typename Op, bool kCheckZero = false>
Status RunArith(rt::KernelContext& ctx, const char* what = "float and integer types") {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (IsNarrowFloat(a.dtype())) {
    Tensor wide = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    BinaryBroadcast<float, float, float>(WidenToFloat32(a), WidenToFloat32(b), wide,
                                         [](float x, float y) { return Op::f(x, y); });
    ctx.set_output(0, NarrowFromFloat32(wide, a.dtype()));
    return Status::Ok();
  }
  Status st;
  bool done = VisitNativeNumeric(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (kCheckZero) {
      st = CheckNoZeroDivisor<T>(ctx, b);
      if (!st.ok()) return;
    }
    BinaryBroadcast<T, T, T>(a, b, ctx.output(0), [](T x, T y) { return Op::f(x, y); });
  });
  if (!done) return ctx.Error("input type {} is not supported; supported: {}", dtype_name(a.dtype()), what);
  return st;
}

// Comparisons: output bool (one byte, 0 or 1).
template <typename Cmp>
Status RunCompare(rt::KernelContext& ctx, Cmp cmp) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  Tensor& y = ctx.output(0);
  auto go = [&](auto tag) {
    using T = typename decltype(tag)::type;
    BinaryBroadcast<T, T, uint8_t>(a, b, y, [cmp](T x, T z) { return static_cast<uint8_t>(cmp(x, z)); });
  };
  if (IsNarrowFloat(a.dtype())) {
    BinaryBroadcast<float, float, uint8_t>(WidenToFloat32(a), WidenToFloat32(b), y,
                                           [cmp](float x, float z) { return static_cast<uint8_t>(cmp(x, z)); });
  } else if (IsBool(a.dtype())) {
    go(TypeTag<uint8_t>{});
  } else if (!VisitNativeNumeric(a.dtype(), go)) {
    return ctx.Error("input type {} is not supported", dtype_name(a.dtype()));
  }
  return Status::Ok();
}

// Integer element i of t as int64 (exact for every integer dtype but huge uint64).
int64_t ElementAsInt64(const Tensor& t, int64_t i) {
  int64_t v = 0;
  VisitNativeInteger(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    v = static_cast<int64_t>(t.data<T>()[i]);
  });
  return v;
}

// Stores v into integer element i of t, wrapping to the element width like a C cast.
void StoreInt64(Tensor& t, int64_t i, int64_t v) {
  VisitNativeInteger(t.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    t.data<T>()[i] = static_cast<T>(v);
  });
}

// base^e for an integral exponent, wrapping on overflow; a negative exponent truncates 1/base^|e|
// toward zero as C integer division would.
int64_t IntPow(int64_t base, double e) {
  if (e < 0) {
    if (base == 1) return 1;
    if (base == -1) return std::fmod(e, 2.0) == 0 ? 1 : -1;
    return 0;  // |1/base^k| < 1 (base 0 would be a division by zero; 0 keeps it defined)
  }
  uint64_t result = 1, b = static_cast<uint64_t>(base);
  for (uint64_t k = e > 1e18 ? static_cast<uint64_t>(1e18) : static_cast<uint64_t>(e); k; k >>= 1) {
    if (k & 1) result *= b;
    b *= b;
  }
  return static_cast<int64_t>(result);
}

Status RunPow(rt::KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() == DType::kFloat32 || IsNarrowFloat(a.dtype())) {
    // float base: the exponent (any numeric type) is used as float32, as ONNX Runtime does.
    Tensor wa = WidenToFloat32(a), wb = WidenToFloat32(b);
    Tensor wide = a.dtype() == DType::kFloat32
                      ? ctx.output(0)
                      : Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    if (wb.numel() == 1 && wb.data<float>()[0] == 2.0f) {
      // x^2 is the common case (decomposed LayerNorm); x*x is exactly what pow returns.
      BinaryBroadcast<float, float, float>(wa, wb, wide, [](float x, float) { return x * x; });
    } else {
      BinaryBroadcast<float, float, float>(wa, wb, wide,
                                           [](float x, float y) { return std::pow(x, y); });
    }
    if (a.dtype() != DType::kFloat32) ctx.set_output(0, NarrowFromFloat32(wide, a.dtype()));
    return Status::Ok();
  }
  // float64 and integer bases, element by element. An integer base with an integral exponent
  // multiplies exactly (int64 values beyond 2^53 would lose precision through double).
  Tensor& y = ctx.output(0);
  BroadcastPlan p = MakeBroadcastPlan(y.shape(), {&a.shape(), &b.shape()});
  const bool int_base = dtype_is_integer(a.dtype());
  ForEachBroadcastRun(p, 0, p.numel, [&](int64_t o, const auto& offs, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t ia = offs[0] + i * p.inner_stride(0), ib = offs[1] + i * p.inner_stride(1);
      const double e = element_as_double(b.dtype(), b.raw(), ib);
      if (int_base && e == std::floor(e)) {
        StoreInt64(y, o + i, IntPow(ElementAsInt64(a, ia), e));
      } else {
        double x = element_as_double(a.dtype(), a.raw(), ia);
        element_from_double(y.dtype(), y.raw(), o + i, std::pow(x, e));
      }
    }
  });
  return Status::Ok();
}

Status RunPRelu(rt::KernelContext& ctx) {
  auto prelu = [](auto x, auto s) { return x < decltype(x)(0) ? WrapMul(s, x) : x; };
  const Tensor& x = ctx.input(0);
  if (IsNarrowFloat(x.dtype())) {
    Tensor wide = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    BinaryBroadcast<float, float, float>(WidenToFloat32(x), WidenToFloat32(ctx.input(1)), wide, prelu);
    ctx.set_output(0, NarrowFromFloat32(wide, x.dtype()));
    return Status::Ok();
  }
  bool done = VisitNativeNumeric(x.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    BinaryBroadcast<T, T, T>(x, ctx.input(1), ctx.output(0), prelu);
  });
  if (!done) return ctx.Error("input type {} is not supported", dtype_name(x.dtype()));
  return Status::Ok();
}

Status RunBitShift(rt::KernelContext& ctx) {
  const std::string dir = ctx.node().attr_string("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return ctx.Error("direction '{}' is not supported; supported: LEFT, RIGHT", dir);
  const bool left = dir == "LEFT";
  bool done = false;
  VisitNativeInteger(ctx.input(0).dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_unsigned_v<T>) {
      constexpr T kBits = static_cast<T>(sizeof(T) * 8);
      // Shifting by the width or more is undefined in C++; every bit is shifted out instead.
      BinaryBroadcast<T, T, T>(ctx.input(0), ctx.input(1), ctx.output(0), [left](T x, T s) {
        if (s >= kBits) return T(0);
        return static_cast<T>(left ? x << s : x >> s);
      });
      done = true;
    }
  });
  if (!done)
    return ctx.Error("input type {} is not supported; supported: uint8, uint16, uint32, uint64",
                     dtype_name(ctx.input(0).dtype()));
  return Status::Ok();
}

Status RunMod(rt::KernelContext& ctx) {
  const bool fmod = ctx.node().attr_int("fmod", 0) != 0;
  if (dtype_is_float(ctx.input(0).dtype())) {
    // Opsets before 22 require fmod=1 for floats; newer ones define fmod=0 as numpy.mod.
    return fmod ? RunArith<FmodOp>(ctx) : RunArith<PyModOp>(ctx);
  }
  return fmod ? RunArith<FmodOp, true>(ctx) : RunArith<PyModOp, true>(ctx);
}

// --- Schemas ----------------------------------------------------------------------------------

enum class OutType { kSameAsInput, kBool };

void RegisterBinary(rt::OpRegistry& r, const std::string& name, bool (*type_ok)(DType),
                    const char* supported, OutType out, bool same_dtypes, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = s.max_inputs = 2;
  s.infer = [=](rt::InferContext& ctx) -> Status {
    SAMQ_RETURN_IF_ERROR(CheckTypes(ctx, type_ok, supported));
    if (same_dtypes) SAMQ_RETURN_IF_ERROR(CheckSameInputDtypes(ctx, 0, 2));
    DType t = out == OutType::kBool ? DType::kBool
              : name == "Pow" || name == "PRelu" ? ctx.input_type(0).dtype
                                                 : FirstKnownDtype(ctx);
    return InferBroadcastOutput(ctx, 0, 2, t);
  };
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, std::move(run)));
  r.Register(std::move(s));
}

bool AnyButInt4(DType t) { return IsArithType(t) || IsBool(t); }
bool UnsignedInt(DType t) {
  return t == DType::kUInt8 || t == DType::kUInt16 || t == DType::kUInt32 || t == DType::kUInt64;
}

}  // namespace

void RegisterBinaryOps(rt::OpRegistry& r) {
  const char* num = "float and integer types";
  const auto same = OutType::kSameAsInput;
  RegisterBinary(r, "Add", IsArithType, num, same, true, [](auto& c) { return RunArith<AddOp>(c); });
  RegisterBinary(r, "Sub", IsArithType, num, same, true, [](auto& c) { return RunArith<SubOp>(c); });
  RegisterBinary(r, "Mul", IsArithType, num, same, true, [](auto& c) { return RunArith<MulOp>(c); });
  RegisterBinary(r, "Div", IsArithType, num, same, true,
                 [](auto& c) { return RunArith<DivOp, true>(c); });
  RegisterBinary(r, "Mod", IsArithType, num, same, true, RunMod);
  RegisterBinary(r, "Pow", IsArithType, num, same, false, RunPow);
  RegisterBinary(r, "PRelu", IsArithType, num, same, true, RunPRelu);
  RegisterBinary(r, "BitShift", UnsignedInt, "uint8, uint16, uint32, uint64", same, true, RunBitShift);

  const char* cmp = "bool, float and integer types";
  const auto b = OutType::kBool;
  RegisterBinary(r, "Equal", AnyButInt4, cmp, b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x == y; }); });
  RegisterBinary(r, "Less", AnyButInt4, cmp, b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x < y; }); });
  RegisterBinary(r, "LessOrEqual", AnyButInt4, cmp, b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x <= y; }); });
  RegisterBinary(r, "Greater", AnyButInt4, cmp, b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x > y; }); });
  RegisterBinary(r, "GreaterOrEqual", AnyButInt4, cmp, b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x >= y; }); });
  // Logic ops: bool in, bool out; bytes other than 0 count as true.
  RegisterBinary(r, "And", IsBool, "bool", b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x && y; }); });
  RegisterBinary(r, "Or", IsBool, "bool", b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return x || y; }); });
  RegisterBinary(r, "Xor", IsBool, "bool", b, true,
                 [](auto& c) { return RunCompare(c, [](auto x, auto y) { return (x != 0) != (y != 0); }); });
}

}  // namespace samq::backends
