// External tensor data (TensorProto.data_location = EXTERNAL): safe path resolution and reading.
//
// A location must be a relative path that stays inside the model's folder after symlinks are
// resolved: a model file is input, and input must not be able to make samq read /etc/shadow or
// a file beside the folder. Files are memory-mapped once (copy-on-write, so a kernel that writes
// into an initializer cannot change the file) and tensors at 64-byte aligned offsets are views of
// the mapping; others are copied. The mapping lives as long as any tensor that uses it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/tensor.h"
#include "onnx.pb.h"

namespace samq::onnx {

struct ExternalRef {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

// The "location", "offset" and "length" entries of a TensorProto's external_data.
Result<ExternalRef> ParseExternalRef(const onnxpb::TensorProto& tp, const std::string& what);

// A zero-filled tensor that costs no memory until written (anonymous mapping), used as the
// placeholder for external data that is not loaded.
Result<Tensor> ZeroPlaceholder(DType dtype, const Shape& shape, const std::string& what);

class ExternalDataReader {
 public:
  explicit ExternalDataReader(std::filesystem::path base_dir);
  ~ExternalDataReader();
  ExternalDataReader(const ExternalDataReader&) = delete;
  ExternalDataReader& operator=(const ExternalDataReader&) = delete;

  // The tensor's data. User errors name `what` and the file: bad location, missing file, a
  // length that does not match the dims, data beyond the end of the file.
  Result<Tensor> Read(const onnxpb::TensorProto& tp, DType dtype, const Shape& shape,
                      const std::string& what);

 private:
  struct File;
  Result<File*> Open(const std::string& location, const std::string& what);

  std::filesystem::path base_dir_;
  std::map<std::string, std::unique_ptr<File>> files_;  // by location as written in the model
};

}  // namespace samq::onnx
