// Writing the IR back to ONNX. Deterministic (the same model gives the same bytes) and atomic
// (written to a temporary file in the destination folder, then renamed).
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace samq::onnx {

struct ExportOptions {
  // Store initializers of at least `external_threshold_bytes` bytes in one external data file
  // "<model file name>.data" beside the model (offsets 64-byte aligned; written before the model,
  // both atomically). Without this flag the model is inline unless its tensors exceed ~1.9 GB,
  // in which case external data is used anyway (protobuf cannot hold more than 2 GiB).
  bool external_data = false;
  size_t external_threshold_bytes = 1024;
};

Status SaveModel(const ir::Model& model, const std::filesystem::path& path,
                 const ExportOptions& opts = {});
Result<std::string> SerializeModel(const ir::Model& model);  // inline data only

}  // namespace samq::onnx
