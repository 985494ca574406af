// TensorProto <-> Tensor: dims validation, typed-field and raw_data decoding, 4-bit packing.
//
// Everything here treats the proto as hostile input: dims are checked for negative values and
// overflow, and the amount of data present is checked against what the dims need *before*
// anything is allocated, so a fuzzed file cannot make samq allocate terabytes.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "onnx.pb.h"

namespace samq::onnx {

// Largest tensor samq accepts from a file (1 TiB): anything bigger is a corrupt header.
inline constexpr uint64_t kMaxTensorBytes = uint64_t{1} << 40;

// "FLOAT", "COMPLEX64", or "code 99" for numbers the spec does not define.
std::string OnnxTypeName(int32_t code);

// Shape from TensorProto.dims; user error for negative dims or an absurd element count.
// `what` names the tensor in messages ("initializer 'w'").
Result<Shape> ShapeFromDims(const google::protobuf::RepeatedField<int64_t>& dims,
                            const std::string& what);

// Supported dtype of a TensorProto, or a user error naming the tensor and the type.
Result<DType> TensorDType(const onnxpb::TensorProto& tp, const std::string& what);

// Bytes the tensor takes in a file (INT4/UINT4: two elements per byte, rounded up).
uint64_t FileBytes(DType dtype, int64_t numel);

// Decodes file-layout bytes (little endian; 4-bit types packed, low nibble first) of exactly
// FileBytes(dtype, numel) into `dst` (in-memory layout: 4-bit types one per byte, sign-extended).
void DecodeFileBytes(DType dtype, int64_t numel, const void* src, void* dst);
// The inverse: packs 4-bit types, copies everything else. `dst` holds FileBytes(dtype, numel).
void EncodeFileBytes(DType dtype, int64_t numel, const void* src, void* dst);

// A tensor whose data is inline (raw_data or a typed field). User error naming `what` when the
// data does not match the dims, the dtype is unsupported, or the tensor is segmented.
Result<Tensor> TensorFromInlineProto(const onnxpb::TensorProto& tp, DType dtype, Shape shape,
                                     const std::string& what);

// Fills `tp` with name, dims, data_type and raw_data (file layout).
void TensorToProto(const Tensor& t, const std::string& name, onnxpb::TensorProto* tp);

}  // namespace samq::onnx
