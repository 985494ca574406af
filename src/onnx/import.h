// Reading ONNX files into the IR.
//
// The schema is samq's own src/onnx/onnx.proto (written from the ONNX spec, IR versions up to
// 10), parsed with libprotobuf. External data is read relative to the model's folder; a location
// that leaves that folder (absolute, or with '..') is refused, and every missing or short file is
// reported by tensor name. All problems are user errors (exit code 2) naming the file.
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"
#include "ir/graph.h"

namespace samq::onnx {

// Attributes the IR does not model (GRAPH, GRAPHS, TENSORS, SPARSE_TENSOR(S), TYPE_PROTO(S)) are
// kept opaque: `type` is AttrType::kGraph for GRAPH/GRAPHS and kUndefined for the others, and
// `s` holds the serialized onnx AttributeProto, which export writes back unchanged. Nothing in
// them is executed. The default domain's long name "ai.onnx" is imported as "" on nodes.

struct ImportOptions {
  // Load external data. When false, tensors whose data is external become zero-filled
  // placeholders of the right dtype/shape and `LoadModel` records them in `missing_external`.
  bool load_external_data = true;
};

struct ImportResult {
  ir::Model model;
  std::vector<std::string> missing_external;  // initializer names left as placeholders
};

Result<ImportResult> LoadModel(const std::filesystem::path& path, const ImportOptions& opts = {});
// Parses an in-memory ModelProto; external data, if any, is resolved against `base_dir`.
Result<ImportResult> ParseModel(const std::string& bytes, const std::filesystem::path& base_dir,
                                const ImportOptions& opts = {});
// A serialized TensorProto (the .pb files of ONNX's node tests) into a Tensor.
Result<Tensor> ParseTensorProto(const std::string& bytes);

}  // namespace samq::onnx
