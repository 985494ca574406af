// Typed dispatch for the reference kernels: turn a runtime DType into a C++ element type, and
// move narrow float formats (fp16, bf16, fp8) through float32 so that each op is written once
// for the "native" C++ types only.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "core/tensor.h"

namespace samq::backends {

// A type tag: VisitX(dtype, [&](auto tag) { using T = typename decltype(tag)::type; ... }).
template <typename T>
struct TypeTag {
  using type = T;
};

// Float formats with a native C++ type.
template <typename Fn>
bool VisitNativeFloat(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: fn(TypeTag<float>{}); return true;
    case DType::kFloat64: fn(TypeTag<double>{}); return true;
    default: return false;
  }
}

// Integer types held as a C++ integer of their own width (INT4/UINT4 are held one per byte but
// are not visited here: arithmetic on them would need wrapping to 4 bits).
template <typename Fn>
bool VisitNativeInteger(DType t, Fn&& fn) {
  switch (t) {
    case DType::kInt8: fn(TypeTag<int8_t>{}); return true;
    case DType::kUInt8: fn(TypeTag<uint8_t>{}); return true;
    case DType::kInt16: fn(TypeTag<int16_t>{}); return true;
    case DType::kUInt16: fn(TypeTag<uint16_t>{}); return true;
    case DType::kInt32: fn(TypeTag<int32_t>{}); return true;
    case DType::kUInt32: fn(TypeTag<uint32_t>{}); return true;
    case DType::kInt64: fn(TypeTag<int64_t>{}); return true;
    case DType::kUInt64: fn(TypeTag<uint64_t>{}); return true;
    default: return false;
  }
}

template <typename Fn>
bool VisitNativeNumeric(DType t, Fn&& fn) {
  return VisitNativeFloat(t, fn) || VisitNativeInteger(t, fn);
}

// fp16, bf16 and the fp8 formats: computed by widening to float32 and narrowing back.
inline bool IsNarrowFloat(DType t) {
  return t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kFloat8E4M3FN ||
         t == DType::kFloat8E5M2;
}

// Widen any numeric tensor to float32 (a fresh tensor; float32 input is returned as is).
Tensor WidenToFloat32(const Tensor& t);
// Narrow a float32 tensor to `to` (round to nearest even; fp8 saturates, as Cast's default).
Tensor NarrowFromFloat32(const Tensor& t, DType to);

// float -> float8 code (e4m3fn or e5m2) with ONNX's `saturate` rule. Non-saturating e4m3fn
// still rounds to nearest first: values up to the midpoint 464 round to 448, only larger ones
// become NaN (ONNX reference / ml_dtypes), which core's float_to_fp8e4m3fn(saturate=false)
// does not do for (448, 464].
uint8_t FloatToFp8(DType to, float f, bool saturate);

// Signed ints wrap on overflow in ONNX Runtime and NumPy; C++ signed overflow is undefined, so
// wrapping arithmetic goes through the unsigned type of the same width.
template <typename T>
T WrapAdd(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return static_cast<T>(a + b);
  }
}
template <typename T>
T WrapSub(T a, T b) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
  } else {
    return static_cast<T>(a - b);
  }
}
template <typename T>
T WrapMul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    // Unsigned types narrower than int promote to (signed) int, whose product can overflow; so
    // multiply in an unsigned type at least as wide as unsigned int.
    using U = std::common_type_t<std::make_unsigned_t<T>, unsigned>;
    return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

}  // namespace samq::backends
