// The session's memory plan (runtime/inplace.h, SessionOptions::release_packed_weights) must not
// change results: a graph built so that every in-place opportunity occurs (dying inputs of Add,
// Softmax, Mul with the same input twice, a value read by two nodes, a view from Reshape, a graph
// input fed by the caller) runs with the fast kernels and the plan, and is compared with the same
// graph on the reference kernels (no fast candidates). The caller's feed must come back
// unchanged, and released weights must be data-less in model() while results stay the same.
#include <gtest/gtest.h>

#include <random>

#include "backends/registry.h"
#include "runtime/session.h"
#include "support/compare.h"

namespace samq {
namespace {

ir::ValueInfo Float(const std::string& name, std::vector<int64_t> dims) {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat32;
  v.has_shape = true;
  for (int64_t d : dims) v.dims.push_back({d, ""});
  return v;
}

Tensor Random(Shape s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// x[4,8] -> Relu -> MatMul W[8,16] -> Add b -> Reshape [2,2,16] -> Softmax -> Mul(s, s) -> y
//                                        \-> also read by a Sub with the Softmax output -> z
ir::Model ChainModel() {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.name = "memory_plan";
  m.graph.inputs = {Float("x", {4, 8})};
  m.graph.outputs = {Float("y", {2, 2, 16}), Float("z", {2, 2, 16})};
  m.graph.initializers["W"] = Random({8, 16}, 1);
  m.graph.initializers["b"] = Random({16}, 2);
  m.graph.initializers["shape"] = Tensor::FromVector<int64_t>({3}, {2, 2, 16});
  auto node = [](const char* name, const char* op, std::vector<std::string> in, std::vector<std::string> out) {
    ir::Node n;
    n.name = name;
    n.op_type = op;
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    return n;
  };
  m.graph.nodes = {node("relu", "Relu", {"x"}, {"r"}),
                   node("mm", "MatMul", {"r", "W"}, {"p"}),
                   node("add", "Add", {"p", "b"}, {"a"}),
                   node("view", "Reshape", {"a", "shape"}, {"v"}),
                   node("softmax", "Softmax", {"v"}, {"s"}),
                   node("square", "Mul", {"s", "s"}, {"y"}),
                   node("sub", "Sub", {"v", "s"}, {"z"})};
  return m;
}

std::map<std::string, Tensor> RunModel(rt::SessionOptions o, const Tensor& x) {
  auto s = rt::Session::Create(ChainModel(), backends::DefaultRegistry(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return {};
  std::map<std::string, Tensor> out;
  for (int run = 0; run < 2; ++run) {  // the second run reuses pooled buffers
    auto r = (*s)->Run({{"x", x}});
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) out = *r;
  }
  return out;
}

TEST(SessionMemory, InPlacePlanAndReleasedWeightsKeepResults) {
  const Tensor x = Random({4, 8}, 3);
  const Tensor x_copy = x.Clone();
  rt::SessionOptions ref_opts;
  ref_opts.reference_kernels_only = true;
  rt::SessionOptions fast_opts;
  fast_opts.release_packed_weights = true;
  auto want = RunModel(ref_opts, x);
  auto got = RunModel(fast_opts, x);
  for (const char* name : {"y", "z"}) {
    ASSERT_TRUE(want.count(name) && got.count(name)) << name;
    auto d = testing::CompareTensors(want[name], got[name]);
    EXPECT_TRUE(d.same_shape) << name;
    EXPECT_LE(d.max_abs, 1e-5) << name << ": " << d.str();  // oneDNN vs reference MatMul rounding
  }
  auto same = testing::CompareTensors(x_copy, x);
  EXPECT_EQ(same.max_abs, 0.0) << "the caller's feed was written to";
}

TEST(SessionMemory, ReleasedWeightIsDataLessInModel) {
  rt::SessionOptions o;
  o.release_packed_weights = true;
  auto s = rt::Session::Create(ChainModel(), backends::DefaultRegistry(), o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const auto& inits = (*s)->model().graph.initializers;
  bool matmul_is_onednn = false;
  for (const auto& c : (*s)->kernel_choices())
    if (c.node == "mm") matmul_is_onednn = c.kernel.rfind("onednn.", 0) == 0;
  ASSERT_TRUE(matmul_is_onednn);
  EXPECT_EQ(inits.at("W").raw(), nullptr);           // only the packed copy remains
  EXPECT_EQ(inits.at("W").shape(), (Shape{8, 16}));  // its type stays
  EXPECT_NE(inits.at("b").raw(), nullptr);           // read by Add: kept
  rt::SessionOptions keep;
  auto k = rt::Session::Create(ChainModel(), backends::DefaultRegistry(), keep);
  ASSERT_TRUE(k.ok());
  EXPECT_NE((*k)->model().graph.initializers.at("W").raw(), nullptr);  // default: kept
}

}  // namespace
}  // namespace samq
