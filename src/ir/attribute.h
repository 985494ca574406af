// Node attributes, as ONNX defines them (subgraph attributes are recorded but not executed).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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

// Attributes of one value, for passes and tests that build nodes.
inline Attribute IntAttr(std::string name, int64_t v) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
inline Attribute FloatAttr(std::string name, float v) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}
inline Attribute IntsAttr(std::string name, std::vector<int64_t> v) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}
inline Attribute StringAttr(std::string name, std::string v) {
  Attribute a;
  a.name = std::move(name);
  a.type = AttrType::kString;
  a.s = std::move(v);
  return a;
}

}  // namespace samq::ir
