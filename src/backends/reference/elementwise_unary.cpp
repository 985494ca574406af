// Unary elementwise ops: activations, math functions, rounding, predicates.
//
// Each op is a small struct: which dtype classes it accepts and its formula for a C++ element
// type. float32 and float64 are computed in their own precision (like ONNX Runtime); fp16, bf16
// and fp8 are widened to float32, computed, and rounded back. Large tensors are split across
// threads; the element loops are plain so that the compiler can vectorize them.
#include <cmath>
#include <limits>
#include <string>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/infer_util.h"
#include "backends/reference/reference_families.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// Attribute values an op's formula needs, read once per run.
struct UnaryParams {
  double alpha = 0, beta = 0, gamma = 0;
  bool tanh_approx = false;  // Gelu
};

constexpr int64_t kGrain = 1 << 14;

// Formulas. `kInt`: the op is defined for integer types too (with the same formula).
struct Abs {
  static constexpr bool kInt = true;
  template <typename T> static T f(T x, const UnaryParams&) {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < T(0) ? WrapSub(T(0), x) : x;
  }
};
struct Neg {
  static constexpr bool kInt = true;
  template <typename T> static T f(T x, const UnaryParams&) { return WrapSub(T(0), x); }
};
struct Sign {
  static constexpr bool kInt = true;
  template <typename T> static T f(T x, const UnaryParams&) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(x)) return x;
    return x > T(0) ? T(1) : (x < T(0) ? static_cast<T>(-1) : T(0));
  }
};
struct Relu {
  static constexpr bool kInt = true;  // opset 14 added int8..int64
  // `x < 0 ? 0 : x` keeps NaN, as max(x, 0) does in NumPy.
  template <typename T> static T f(T x, const UnaryParams&) { return x < T(0) ? T(0) : x; }
};

#define SAMQ_FLOAT_UNARY(Name, expr)                                  \
  struct Name {                                                      \
    static constexpr bool kInt = false;                              \
    template <typename T> static T f(T x, const UnaryParams& p) {    \
      (void)p;                                                       \
      return expr;                                                   \
    }                                                                \
  };

SAMQ_FLOAT_UNARY(Reciprocal, T(1) / x)
SAMQ_FLOAT_UNARY(Sqrt, std::sqrt(x))
SAMQ_FLOAT_UNARY(Exp, std::exp(x))
SAMQ_FLOAT_UNARY(Log, std::log(x))
SAMQ_FLOAT_UNARY(Erf, std::erf(x))
SAMQ_FLOAT_UNARY(Tanh, std::tanh(x))
SAMQ_FLOAT_UNARY(Sin, std::sin(x))
SAMQ_FLOAT_UNARY(Cos, std::cos(x))
SAMQ_FLOAT_UNARY(Tan, std::tan(x))
SAMQ_FLOAT_UNARY(Asin, std::asin(x))
SAMQ_FLOAT_UNARY(Acos, std::acos(x))
SAMQ_FLOAT_UNARY(Atan, std::atan(x))
SAMQ_FLOAT_UNARY(Sinh, std::sinh(x))
SAMQ_FLOAT_UNARY(Cosh, std::cosh(x))
SAMQ_FLOAT_UNARY(Asinh, std::asinh(x))
SAMQ_FLOAT_UNARY(Acosh, std::acosh(x))
SAMQ_FLOAT_UNARY(Atanh, std::atanh(x))
SAMQ_FLOAT_UNARY(Floor, std::floor(x))
SAMQ_FLOAT_UNARY(Ceil, std::ceil(x))
// nearbyint rounds in the default mode, round-half-to-even, which is what ONNX Round specifies.
SAMQ_FLOAT_UNARY(Round, std::nearbyint(x))
// Two branches so that exp never overflows: for x < 0, e^x / (1 + e^x).
SAMQ_FLOAT_UNARY(Sigmoid, x >= T(0) ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x)))
SAMQ_FLOAT_UNARY(LeakyRelu, x < T(0) ? static_cast<T>(p.alpha) * x : x)
SAMQ_FLOAT_UNARY(Elu, x < T(0) ? static_cast<T>(p.alpha) * (std::exp(x) - T(1)) : x)
SAMQ_FLOAT_UNARY(Selu, x <= T(0) ? static_cast<T>(p.gamma * p.alpha) * (std::exp(x) - T(1))
                                 : static_cast<T>(p.gamma) * x)
SAMQ_FLOAT_UNARY(Celu, x < T(0) ? static_cast<T>(p.alpha) * (std::exp(x / static_cast<T>(p.alpha)) - T(1)) : x)
SAMQ_FLOAT_UNARY(ThresholdedRelu, x > static_cast<T>(p.alpha) ? x : T(0))
// log(1 + e^x) without overflow: x + log1p(e^-x) for positive x.
SAMQ_FLOAT_UNARY(Softplus, x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)))
SAMQ_FLOAT_UNARY(Softsign, x / (T(1) + std::abs(x)))
SAMQ_FLOAT_UNARY(Mish, x * std::tanh(x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x))))
// clamp written as max(min(v, 1), 0): that argument order lets NaN through, as ONNX Runtime does.
SAMQ_FLOAT_UNARY(HardSigmoid, std::max(std::min(static_cast<T>(p.alpha) * x + static_cast<T>(p.beta), T(1)), T(0)))
SAMQ_FLOAT_UNARY(HardSwish, x * std::max(std::min(x / T(6) + T(0.5), T(1)), T(0)))
#undef SAMQ_FLOAT_UNARY

struct Gelu {
  static constexpr bool kInt = false;
  template <typename T> static T f(T x, const UnaryParams& p) {
    if (p.tanh_approx) {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the approximate="tanh" form.
      const T k = static_cast<T>(0.7978845608028654);
      return T(0.5) * x * (T(1) + std::tanh(k * (x + static_cast<T>(0.044715) * x * x * x)));
    }
    return T(0.5) * x * (T(1) + std::erf(x * static_cast<T>(0.7071067811865476)));
  }
};

// Attribute defaults per op (ONNX's), filled into UnaryParams.
Status ReadParams(const ir::Node& node, const std::string& op, UnaryParams* p) {
  if (op == "LeakyRelu") p->alpha = node.attr_float("alpha", 0.01f);
  else if (op == "Elu" || op == "Celu" || op == "ThresholdedRelu") p->alpha = node.attr_float("alpha", 1.0f);
  else if (op == "Selu") {
    p->alpha = node.attr_float("alpha", 1.67326319217681884765625f);
    p->gamma = node.attr_float("gamma", 1.05070102214813232421875f);
  } else if (op == "HardSigmoid") {
    p->alpha = node.attr_float("alpha", 0.2f);
    p->beta = node.attr_float("beta", 0.5f);
  } else if (op == "Gelu") {
    std::string mode = node.attr_string("approximate", "none");
    if (mode != "none" && mode != "tanh")
      return Status::UserF("{}: approximate '{}' is not supported; supported: none, tanh",
                           node.describe(), mode);
    p->tanh_approx = mode == "tanh";
  }
  return Status::Ok();
}

template <typename Op, typename T>
void ApplyUnary(const T* x, T* y, int64_t n, const UnaryParams& p) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = Op::template f<T>(x[i], p);
  });
}

template <typename Op>
bool DtypeSupported(DType t) {
  if (dtype_is_float(t)) return true;
  return Op::kInt && dtype_is_integer(t) && t != DType::kInt4 && t != DType::kUInt4;
}

template <typename Op>
Status RunUnary(rt::KernelContext& ctx) {
  UnaryParams p;
  SAMQ_RETURN_IF_ERROR(ReadParams(ctx.node(), ctx.node().op_type, &p));
  const Tensor& x = ctx.input(0);
  const int64_t n = x.numel();
  if (IsNarrowFloat(x.dtype())) {
    Tensor wide = WidenToFloat32(x);
    Tensor out = Tensor::Zeros(DType::kFloat32, x.shape());
    ApplyUnary<Op, float>(wide.data<float>(), out.data<float>(), n, p);
    ctx.set_output(0, NarrowFromFloat32(out, x.dtype()));
    return Status::Ok();
  }
  bool done = false;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T> || Op::kInt) {
      ApplyUnary<Op, T>(x.data<T>(), ctx.output(0).data<T>(), n, p);
      done = true;
    }
  };
  VisitNativeNumeric(x.dtype(), run);
  if (!done)
    return ctx.Error("input type {} is not supported; supported: {}", dtype_name(x.dtype()),
                     Op::kInt ? "float and integer types" : "float types");
  return Status::Ok();
}

template <typename Op>
void RegisterUnary(rt::OpRegistry& r, const std::string& name) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = s.max_inputs = 1;
  s.infer = [](rt::InferContext& ctx) -> Status {
    DType t = ctx.input_type(0).dtype;
    if (t != DType::kUndefined && !DtypeSupported<Op>(t))
      return ctx.Error("input type {} is not supported; supported: {}", dtype_name(t),
                       Op::kInt ? "float and integer types" : "float types");
    UnaryParams p;
    SAMQ_RETURN_IF_ERROR(ReadParams(ctx.node(), ctx.node().op_type, &p));
    return InferSameAsInput(ctx);
  };
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, RunUnary<Op>));
  r.Register(std::move(s));
}

// Ops whose output is bool: IsNaN, IsInf (float in) and Not (bool in).
void RegisterPredicate(rt::OpRegistry& r, const std::string& name) {
  rt::OpSchema s;
  s.op_type = name;
  s.min_inputs = s.max_inputs = 1;
  const bool is_not = name == "Not";
  s.infer = [is_not](rt::InferContext& ctx) -> Status {
    DType t = ctx.input_type(0).dtype;
    if (t != DType::kUndefined && (is_not ? t != DType::kBool : !dtype_is_float(t)))
      return ctx.Error("input type {} is not supported; supported: {}", dtype_name(t),
                       is_not ? "bool" : "float types");
    const auto& in = ctx.input_type(0);
    if (in.rank_known) ctx.set_output(0, DType::kBool, in.dims);
    else ctx.set_output_unknown_rank(0, DType::kBool);
    return Status::Ok();
  };
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + name, [name](rt::KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    uint8_t* y = ctx.output(0).data<uint8_t>();
    const int64_t n = x.numel();
    if (name == "Not") {
      const uint8_t* b = x.data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) y[i] = b[i] ? 0 : 1;
      return Status::Ok();
    }
    const bool neg = ctx.node().attr_int("detect_negative", 1) != 0;
    const bool pos = ctx.node().attr_int("detect_positive", 1) != 0;
    for (int64_t i = 0; i < n; ++i) {
      // Read as double (exact for every float format): no value changes class on the way.
      double v = element_as_double(x.dtype(), x.raw(), i);
      if (name == "IsNaN") y[i] = std::isnan(v);
      else y[i] = std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg));
    }
    return Status::Ok();
  }));
  r.Register(std::move(s));
}

}  // namespace

void RegisterUnaryOps(rt::OpRegistry& r) {
  RegisterUnary<Abs>(r, "Abs");
  RegisterUnary<Neg>(r, "Neg");
  RegisterUnary<Sign>(r, "Sign");
  RegisterUnary<Relu>(r, "Relu");
  RegisterUnary<Reciprocal>(r, "Reciprocal");
  RegisterUnary<Sqrt>(r, "Sqrt");
  RegisterUnary<Exp>(r, "Exp");
  RegisterUnary<Log>(r, "Log");
  RegisterUnary<Erf>(r, "Erf");
  RegisterUnary<Tanh>(r, "Tanh");
  RegisterUnary<Sin>(r, "Sin");
  RegisterUnary<Cos>(r, "Cos");
  RegisterUnary<Tan>(r, "Tan");
  RegisterUnary<Asin>(r, "Asin");
  RegisterUnary<Acos>(r, "Acos");
  RegisterUnary<Atan>(r, "Atan");
  RegisterUnary<Sinh>(r, "Sinh");
  RegisterUnary<Cosh>(r, "Cosh");
  RegisterUnary<Asinh>(r, "Asinh");
  RegisterUnary<Acosh>(r, "Acosh");
  RegisterUnary<Atanh>(r, "Atanh");
  RegisterUnary<Floor>(r, "Floor");
  RegisterUnary<Ceil>(r, "Ceil");
  RegisterUnary<Round>(r, "Round");
  RegisterUnary<Sigmoid>(r, "Sigmoid");
  RegisterUnary<LeakyRelu>(r, "LeakyRelu");
  RegisterUnary<Elu>(r, "Elu");
  RegisterUnary<Selu>(r, "Selu");
  RegisterUnary<Celu>(r, "Celu");
  RegisterUnary<ThresholdedRelu>(r, "ThresholdedRelu");
  RegisterUnary<Softplus>(r, "Softplus");
  RegisterUnary<Softsign>(r, "Softsign");
  RegisterUnary<Mish>(r, "Mish");
  RegisterUnary<HardSigmoid>(r, "HardSigmoid");
  RegisterUnary<HardSwish>(r, "HardSwish");
  RegisterUnary<Gelu>(r, "Gelu");
  RegisterPredicate(r, "IsNaN");
  RegisterPredicate(r, "IsInf");
  RegisterPredicate(r, "Not");
}

}  // namespace samq::backends
