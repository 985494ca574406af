// Helpers for the ONNX import/export tests: deep IR comparison, temp folders, small models.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>

#include "ir/graph.h"

namespace samq::onnx::testutil {

// Empty when the tensors are identical (dtype, shape, bytes); else what differs.
inline std::string TensorDiff(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype())
    return fmt::format("dtype {} vs {}", dtype_name(a.dtype()), dtype_name(b.dtype()));
  if (a.shape() != b.shape())
    return fmt::format("shape {} vs {}", shape_str(a.shape()), shape_str(b.shape()));
  if (a.nbytes() && std::memcmp(a.raw(), b.raw(), a.nbytes()) != 0) return "data differs";
  return "";
}

inline std::string ValueInfoDiff(const ir::ValueInfo& a, const ir::ValueInfo& b) {
  if (a.name != b.name) return "name " + a.name + " vs " + b.name;
  if (a.dtype != b.dtype || a.has_shape != b.has_shape || a.doc != b.doc)
    return "type of " + a.name;
  if (a.dims.size() != b.dims.size()) return "rank of " + a.name;
  for (size_t i = 0; i < a.dims.size(); ++i)
    if (a.dims[i].value != b.dims[i].value || a.dims[i].param != b.dims[i].param)
      return "dim " + std::to_string(i) + " of " + a.name;
  return "";
}

inline std::string AttributeDiff(const ir::Attribute& a, const ir::Attribute& b) {
  if (a.name != b.name || a.type != b.type) return "attribute " + a.name + " name/type";
  bool float_same = std::memcmp(&a.f, &b.f, sizeof(float)) == 0;  // NaN-safe
  if (!float_same || a.i != b.i || a.s != b.s || a.ints != b.ints || a.strings != b.strings ||
      a.floats.size() != b.floats.size() ||
      (a.floats.size() && std::memcmp(a.floats.data(), b.floats.data(), a.floats.size() * 4)))
    return "attribute " + a.name + " value";
  if (a.t.defined() != b.t.defined()) return "attribute " + a.name + " tensor presence";
  if (a.t.defined()) {
    std::string d = TensorDiff(a.t, b.t);
    if (!d.empty()) return "attribute " + a.name + " tensor: " + d;
  }
  return "";
}

// Empty when the models are equal in everything import/export carries.
inline std::string ModelDiff(const ir::Model& a, const ir::Model& b) {
  if (a.ir_version != b.ir_version) return "ir_version";
  if (a.producer_name != b.producer_name || a.producer_version != b.producer_version ||
      a.domain != b.domain || a.model_version != b.model_version || a.doc != b.doc)
    return "model header";
  if (a.metadata != b.metadata) return "metadata";
  if (a.opsets.size() != b.opsets.size()) return "opset count";
  for (size_t i = 0; i < a.opsets.size(); ++i)
    if (a.opsets[i].domain != b.opsets[i].domain || a.opsets[i].version != b.opsets[i].version)
      return "opset " + std::to_string(i);
  const ir::Graph& ga = a.graph;
  const ir::Graph& gb = b.graph;
  if (ga.name != gb.name || ga.doc != gb.doc) return "graph name/doc";
  if (ga.nodes.size() != gb.nodes.size()) return "node count";
  for (size_t i = 0; i < ga.nodes.size(); ++i) {
    const ir::Node& x = ga.nodes[i];
    const ir::Node& y = gb.nodes[i];
    if (x.name != y.name || x.op_type != y.op_type || x.domain != y.domain ||
        x.inputs != y.inputs || x.outputs != y.outputs || x.doc != y.doc ||
        x.attributes.size() != y.attributes.size())
      return "node " + x.name;
    for (size_t k = 0; k < x.attributes.size(); ++k) {
      std::string d = AttributeDiff(x.attributes[k], y.attributes[k]);
      if (!d.empty()) return "node " + x.name + ": " + d;
    }
  }
  if (ga.initializers.size() != gb.initializers.size()) return "initializer count";
  for (auto ia = ga.initializers.begin(), ib = gb.initializers.begin(); ia != ga.initializers.end();
       ++ia, ++ib) {
    if (ia->first != ib->first) return "initializer name " + ia->first;
    std::string d = TensorDiff(ia->second, ib->second);
    if (!d.empty()) return "initializer " + ia->first + ": " + d;
  }
  for (auto [la, lb] : {std::pair{&ga.inputs, &gb.inputs}, std::pair{&ga.outputs, &gb.outputs},
                        std::pair{&ga.value_info, &gb.value_info}}) {
    if (la->size() != lb->size()) return "value info count";
    for (size_t i = 0; i < la->size(); ++i) {
      std::string d = ValueInfoDiff((*la)[i], (*lb)[i]);
      if (!d.empty()) return d;
    }
  }
  return "";
}

// A fresh folder under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("samq_onnx_test_{}_{}", ::getpid(), counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& leaf) const { return path_ / leaf; }

 private:
  std::filesystem::path path_;
};

// y = Add(x, w) with a float initializer w of `n` elements, value i*0.5.
inline ir::Model AddModel(int64_t n, const std::string& wname = "w") {
  ir::Model m;
  m.opsets.push_back({"", 17});
  m.producer_name = "samq-test";
  m.graph.name = "g";
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) w[static_cast<size_t>(i)] = 0.5f * static_cast<float>(i);
  m.graph.initializers[wname] = Tensor::FromVector<float>({n}, w);
  ir::ValueInfo x{"x", DType::kFloat32, true, {ir::Dim{n, ""}}, ""};
  ir::ValueInfo y{"y", DType::kFloat32, true, {ir::Dim{-1, "N"}}, ""};
  m.graph.inputs.push_back(x);
  m.graph.outputs.push_back(y);
  ir::Node add;
  add.name = "add";
  add.op_type = "Add";
  add.inputs = {"x", wname};
  add.outputs = {"y"};
  m.graph.nodes.push_back(add);
  return m;
}

}  // namespace samq::onnx::testutil
