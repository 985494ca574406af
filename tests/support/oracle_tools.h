// Runs the Python test oracles (tests/oracles/*.py) from C++ tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace samq::testing {

struct OracleRun {
  bool available = false;  // python3 + onnxruntime present
  int exit_code = -1;
  std::string err;
  std::map<std::string, Tensor> outputs;  // by sanitized output name
};

// ONNX Runtime on `model` with these inputs (written as .npy into a temp folder).
OracleRun RunOrt(const std::string& model, const std::map<std::string, Tensor>& inputs, int threads = 2);

}  // namespace samq::testing
