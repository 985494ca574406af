// Op schemas and their ordered kernel candidates, by (domain, op_type).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace samq::rt {

struct OpSchema {
  std::string op_type;
  std::string domain;  // "" = ai.onnx
  int min_inputs = 0, max_inputs = 0;  // max counts optional trailing inputs
  int min_outputs = 1, max_outputs = 1;
  InferFn infer;
  std::vector<KernelCandidate> kernels;  // first that accepts wins; reference last
};

class OpRegistry {
 public:
  // Adds a schema; a second schema for the same op is an internal error (returns false).
  bool Register(OpSchema schema);
  // Puts a faster candidate in front of the existing ones.
  bool AddFastKernel(std::string_view domain, std::string_view op_type, KernelCandidate k);
  const OpSchema* Find(std::string_view domain, std::string_view op_type) const;
  std::vector<std::string> OpTypes() const;  // sorted "Op" or "domain.Op"

 private:
  std::map<std::string, OpSchema, std::less<>> ops_;
};

}  // namespace samq::rt
