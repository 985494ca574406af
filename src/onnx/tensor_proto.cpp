#include "onnx/tensor_proto.h"

#include <cstring>
#include <limits>

namespace samq::onnx {

std::string OnnxTypeName(int32_t code) {
  if (onnxpb::TensorProto_DataType_IsValid(code))
    return onnxpb::TensorProto_DataType_Name(static_cast<onnxpb::TensorProto_DataType>(code));
  return fmt::format("code {}", code);
}

Result<Shape> ShapeFromDims(const google::protobuf::RepeatedField<int64_t>& dims,
                            const std::string& what) {
  Shape shape(dims.begin(), dims.end());
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return Status::UserF("{}: negative dimension {} in dims {}", what, d, shape_str(shape));
    // Overflow-safe product; a zero dim makes the tensor empty whatever else the dims say.
    if (d != 0 && numel > kMaxTensorBytes / static_cast<uint64_t>(d))
      return Status::UserF("{}: dims {} describe an absurdly large tensor", what, shape_str(shape));
    numel *= static_cast<uint64_t>(d);
  }
  return shape;
}

Result<DType> TensorDType(const onnxpb::TensorProto& tp, const std::string& what) {
  if (!tp.has_data_type() || tp.data_type() == 0)
    return Status::UserF("{}: data_type is missing", what);
  auto dt = dtype_from_onnx(tp.data_type());
  if (!dt)
    return Status::UserF(
        "{}: element type {} is not supported; supported: FLOAT, FLOAT16, "
        "BFLOAT16, DOUBLE, FLOAT8E4M3FN, FLOAT8E5M2, INT4, UINT4, INT8, UINT8, "
        "INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL",
        what, OnnxTypeName(tp.data_type()));
  return *dt;
}

uint64_t FileBytes(DType dtype, int64_t numel) {
  const uint64_t n = static_cast<uint64_t>(numel);
  if (dtype_file_bits(dtype) == 4) return (n + 1) / 2;
  return n * dtype_size(dtype);
}

void DecodeFileBytes(DType dtype, int64_t numel, const void* src, void* dst) {
  if (dtype == DType::kInt4 || dtype == DType::kUInt4) {
    const auto* s = static_cast<const uint8_t*>(src);
    auto* d = static_cast<uint8_t*>(dst);
    const bool sign = dtype == DType::kInt4;
    for (int64_t i = 0; i < numel; ++i) {
      const uint8_t nib = (i & 1) ? (s[i / 2] >> 4) : (s[i / 2] & 0x0f);
      // Sign-extend INT4 from bit 3: 0x8..0xf are -8..-1.
      d[i] = sign && (nib & 0x8) ? static_cast<uint8_t>(nib | 0xf0) : nib;
    }
    return;
  }
  const size_t bytes = static_cast<size_t>(numel) * dtype_size(dtype);
  if (bytes) std::memcpy(dst, src, bytes);
  if (dtype == DType::kBool) {
    // A bool tensor must hold 0 or 1 only; files that store other non-zero bytes mean true.
    auto* d = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < numel; ++i) d[i] = d[i] ? 1 : 0;
  }
}

void EncodeFileBytes(DType dtype, int64_t numel, const void* src, void* dst) {
  if (dtype == DType::kInt4 || dtype == DType::kUInt4) {
    const auto* s = static_cast<const uint8_t*>(src);
    auto* d = static_cast<uint8_t*>(dst);
    std::memset(d, 0, static_cast<size_t>(FileBytes(dtype, numel)));
    for (int64_t i = 0; i < numel; ++i) {
      const uint8_t nib = s[i] & 0x0f;
      d[i / 2] |= (i & 1) ? static_cast<uint8_t>(nib << 4) : nib;
    }
    return;
  }
  const size_t bytes = static_cast<size_t>(numel) * dtype_size(dtype);
  if (bytes) std::memcpy(dst, src, bytes);
}

namespace {

// The typed field that holds a dtype's values when raw_data is not used (per onnx.proto).
enum class TypedField { kFloat, kInt32, kInt64, kDouble, kUInt64 };

TypedField FieldFor(DType t) {
  switch (t) {
    case DType::kFloat32: return TypedField::kFloat;
    case DType::kInt64: return TypedField::kInt64;
    case DType::kFloat64: return TypedField::kDouble;
    case DType::kUInt32:
    case DType::kUInt64: return TypedField::kUInt64;
    default: return TypedField::kInt32;  // 8/16-bit ints, bool, f16/bf16/fp8 bits, int32, 4-bit
  }
}

const char* FieldName(TypedField f) {
  switch (f) {
    case TypedField::kFloat: return "float_data";
    case TypedField::kInt32: return "int32_data";
    case TypedField::kInt64: return "int64_data";
    case TypedField::kDouble: return "double_data";
    case TypedField::kUInt64: return "uint64_data";
  }
  return "?";
}

int FieldSize(const onnxpb::TensorProto& tp, TypedField f) {
  switch (f) {
    case TypedField::kFloat: return tp.float_data_size();
    case TypedField::kInt32: return tp.int32_data_size();
    case TypedField::kInt64: return tp.int64_data_size();
    case TypedField::kDouble: return tp.double_data_size();
    case TypedField::kUInt64: return tp.uint64_data_size();
  }
  return 0;
}

bool AnyTypedData(const onnxpb::TensorProto& tp) {
  return tp.float_data_size() || tp.int32_data_size() || tp.int64_data_size() ||
         tp.double_data_size() || tp.uint64_data_size() || tp.string_data_size();
}

// Stores the typed field's values into `t` (already sized). For 4-bit types each int32_data
// entry holds one packed byte (two elements), as onnx.helper.make_tensor writes them.
void CopyTypedField(const onnxpb::TensorProto& tp, TypedField f, Tensor& t) {
  const int64_t n = t.numel();
  void* out = t.raw();
  switch (t.dtype()) {
    case DType::kFloat32: std::memcpy(out, tp.float_data().data(), n * 4); return;
    case DType::kInt64: std::memcpy(out, tp.int64_data().data(), n * 8); return;
    case DType::kFloat64: std::memcpy(out, tp.double_data().data(), n * 8); return;
    case DType::kUInt64: std::memcpy(out, tp.uint64_data().data(), n * 8); return;
    case DType::kUInt32:
      for (int64_t i = 0; i < n; ++i)
        static_cast<uint32_t*>(out)[i] = static_cast<uint32_t>(tp.uint64_data(i));
      return;
    case DType::kInt32: std::memcpy(out, tp.int32_data().data(), n * 4); return;
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kFloat16:
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i)
        static_cast<uint16_t*>(out)[i] = static_cast<uint16_t>(tp.int32_data(i));
      return;
    case DType::kInt4:
    case DType::kUInt4: {
      std::string packed(static_cast<size_t>(FileBytes(t.dtype(), n)), '\0');
      for (size_t i = 0; i < packed.size(); ++i)
        packed[i] = static_cast<char>(tp.int32_data(static_cast<int>(i)) & 0xff);
      DecodeFileBytes(t.dtype(), n, packed.data(), out);
      return;
    }
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) static_cast<uint8_t*>(out)[i] = tp.int32_data(i) != 0;
      return;
    default:  // int8, uint8, fp8: one byte each
      for (int64_t i = 0; i < n; ++i)
        static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(tp.int32_data(i));
      return;
  }
  (void)f;
}

}  // namespace

Result<Tensor> TensorFromInlineProto(const onnxpb::TensorProto& tp, DType dtype, Shape shape,
                                     const std::string& what) {
  if (tp.has_segment()) return Status::UserF("{}: segmented tensors are not supported", what);
  const int64_t numel = shape_numel(shape);
  const uint64_t need = FileBytes(dtype, numel);
  if (need > kMaxTensorBytes)
    return Status::UserF("{}: dims {} describe an absurdly large tensor", what, shape_str(shape));

  if (tp.has_raw_data()) {
    if (AnyTypedData(tp)) return Status::UserF("{}: has both raw_data and typed data fields", what);
    if (tp.raw_data().size() != need)
      return Status::UserF("{}: raw_data has {} bytes but dims {} of {} need {}", what,
                           tp.raw_data().size(), shape_str(shape), dtype_name(dtype), need);
    Tensor t = Tensor::Zeros(dtype, std::move(shape));
    DecodeFileBytes(dtype, numel, tp.raw_data().data(), t.raw());
    return t;
  }

  const TypedField field = FieldFor(dtype);
  // 4-bit types hold two elements per int32_data entry; everything else one per entry.
  const uint64_t entries = dtype_file_bits(dtype) == 4 ? need : static_cast<uint64_t>(numel);
  const uint64_t have = static_cast<uint64_t>(FieldSize(tp, field));
  if (have != entries) {
    if (have == 0 && !AnyTypedData(tp))
      return Status::UserF("{}: holds no data but dims {} need {} elements", what, shape_str(shape),
                           numel);
    return Status::UserF("{}: {} has {} values but dims {} of {} need {}", what, FieldName(field),
                         have, shape_str(shape), dtype_name(dtype), entries);
  }
  Tensor t = Tensor::Zeros(dtype, std::move(shape));
  CopyTypedField(tp, field, t);
  return t;
}

void TensorToProto(const Tensor& t, const std::string& name, onnxpb::TensorProto* tp) {
  tp->Clear();
  for (int64_t d : t.shape()) tp->add_dims(d);
  tp->set_data_type(static_cast<int32_t>(t.dtype()));
  if (!name.empty()) tp->set_name(name);
  std::string* raw = tp->mutable_raw_data();
  raw->resize(static_cast<size_t>(FileBytes(t.dtype(), t.numel())));
  if (!raw->empty()) EncodeFileBytes(t.dtype(), t.numel(), t.raw(), raw->data());
}

}  // namespace samq::onnx
