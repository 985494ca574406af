// Element types. The numeric values are ONNX's TensorProto.DataType codes so that import and
// export convert by a cast, and messages can name types the way ONNX tools do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace samq {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E5M2 = 19,
  kUInt4 = 21,
  kInt4 = 22,
};

// Bytes one element takes in memory. INT4/UINT4 are held one element per byte in memory
// (sign-extended / zero-extended) and packed two per byte only in files.
size_t dtype_size(DType t);
// Bits one element takes in an ONNX file (4 for INT4/UINT4): used for size accounting.
size_t dtype_file_bits(DType t);
std::string_view dtype_name(DType t);  // "float32", "int64", "float8e4m3fn", ...
std::optional<DType> dtype_from_onnx(int32_t code);  // nullopt for types samq does not support
bool dtype_is_float(DType t);    // f16 bf16 f32 f64 f8*
bool dtype_is_integer(DType t);  // signed or unsigned, incl. 4-bit; not bool

// Compile-time mapping from C++ types to DType, for typed kernels.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::kFloat64; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<int16_t> { static constexpr DType value = DType::kInt16; };
template <> struct DTypeOf<uint16_t> { static constexpr DType value = DType::kUInt16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<uint32_t> { static constexpr DType value = DType::kUInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<uint64_t> { static constexpr DType value = DType::kUInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

}  // namespace samq
