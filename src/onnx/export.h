// Writing the IR back to ONNX. Deterministic (the same model gives the same bytes) and atomic
// (written to a temporary file in the destination folder, then renamed).
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace samq::onnx {

struct ExportOptions {
  // Tensors at least this large go to one external data file "<model file name>.data" beside
  // the model when the whole model would not fit protobuf's 2 GiB limit; 0 = never external.
  bool external_data = false;
  size_t external_threshold_bytes = 1024;
};

Status SaveModel(const ir::Model& model, const std::filesystem::path& path,
                 const ExportOptions& opts = {});
Result<std::string> SerializeModel(const ir::Model& model);  // inline data only

}  // namespace samq::onnx
