// Node attributes, as ONNX defines them (subgraph attributes are recorded but not executed).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace samq::ir {

enum class AttrType { kUndefined, kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings, kGraph };

struct Attribute {
  std::string name;
  AttrType type = AttrType::kUndefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

std::string_view attr_type_name(AttrType t);

}  // namespace samq::ir
