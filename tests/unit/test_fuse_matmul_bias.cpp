// passes::FuseMatMulBias: MatMul(X, const W) -> bias Add [-> com.samq Gelu] becomes one com.samq
// MatMulBias (hand-built graphs; near misses stay unfused), and a session on a small MLP (linear
// + exported erf GELU + linear) fuses both layers and matches the unfused graph on the reference
// kernels (the oracle: optimize off, reference kernels only).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "backends/registry.h"
#include "passes/fuse_matmul_bias.h"
#include "runtime/session.h"
#include "support/compare.h"

namespace samq {
namespace {

ir::Node N(const std::string& op, std::vector<std::string> in, const std::string& out,
           const std::string& domain = "") {
  ir::Node n;
  n.name = out + "_node";
  n.op_type = op;
  n.domain = domain;
  n.inputs = std::move(in);
  n.outputs = {out};
  return n;
}

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

// x[2,5,4] -> MatMul(w[4,3]) -> m -> Add(b) -> a [-> com.samq Gelu -> y]
ir::Graph Linear(bool gelu, Shape bias_shape = {3}) {
  ir::Graph g;
  g.inputs = {Float("x", {2, 5, 4})};
  g.initializers["w"] = Random({4, 3}, 1);
  g.initializers["b"] = Random(std::move(bias_shape), 2);
  g.nodes = {N("MatMul", {"x", "w"}, "m"), N("Add", {"m", "b"}, "a")};
  if (gelu) g.nodes.push_back(N("Gelu", {"a"}, "y", "com.samq"));
  g.outputs = {Float(gelu ? "y" : "a", {2, 5, 3})};
  return g;
}

void ExpectFused(const ir::Graph& g, const std::string& bias, const std::string& out, const std::string& act) {
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "MatMulBias");
  EXPECT_EQ(g.nodes[0].domain, "com.samq");
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "w", bias}));
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<std::string>{out}));
  EXPECT_EQ(g.nodes[0].attr_string("activation", "?"), act);
}

TEST(FuseMatMulBias, LinearLayersBecomeOneNode) {
  {
    ir::Graph g = Linear(false);
    EXPECT_EQ(passes::FuseMatMulBias(g), 1);
    ExpectFused(g, "b", "a", "none");
  }
  {  // bias as the first operand, shaped [1, 1, N]
    ir::Graph g = Linear(false, {1, 1, 3});
    std::swap(g.nodes[1].inputs[0], g.nodes[1].inputs[1]);
    EXPECT_EQ(passes::FuseMatMulBias(g), 1);
    ExpectFused(g, "b", "a", "none");
  }
  {
    ir::Graph g = Linear(true);
    EXPECT_EQ(passes::FuseMatMulBias(g), 1);
    ExpectFused(g, "b", "y", "gelu");
  }
}

TEST(FuseMatMulBias, NearMissesStayUnfused) {
  {  // the product is also read elsewhere
    ir::Graph g = Linear(false);
    g.nodes.push_back(N("Relu", {"m"}, "z"));
    g.outputs.push_back(Float("z", {2, 5, 3}));
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
  {  // the product is a graph output
    ir::Graph g = Linear(false);
    g.outputs.push_back(Float("m", {2, 5, 3}));
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
  {  // a full [5, 3] addend is not a bias
    ir::Graph g = Linear(false, {5, 3});
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
  {  // a [3, 1] addend broadcasts over rows, not columns
    ir::Graph g = Linear(false, {3, 1});
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
  {  // bias not constant
    ir::Graph g = Linear(false);
    g.initializers.erase("b");
    g.inputs.push_back(Float("b", {3}));
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
  {  // weights not constant
    ir::Graph g = Linear(false);
    g.initializers.erase("w");
    g.inputs.push_back(Float("w", {4, 3}));
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
  {  // the product is not followed by an Add
    ir::Graph g = Linear(false);
    g.nodes[1].op_type = "Mul";
    EXPECT_EQ(passes::FuseMatMulBias(g), 0);
  }
}

TEST(FuseMatMulBias, GeluStaysSeparateWhenItCannotFold) {
  {  // tanh GELU: the bias still fuses, the activation does not
    ir::Graph g = Linear(true);
    ir::Attribute a;
    a.name = "approximate";
    a.type = ir::AttrType::kString;
    a.s = "tanh";
    g.nodes[2].set_attr(a);
    EXPECT_EQ(passes::FuseMatMulBias(g), 1);
    ASSERT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[0].attr_string("activation", "?"), "none");
    EXPECT_EQ(g.nodes[0].outputs[0], "a");
  }
  {  // the biased value is also a graph output
    ir::Graph g = Linear(true);
    g.outputs.push_back(Float("a", {2, 5, 3}));
    EXPECT_EQ(passes::FuseMatMulBias(g), 1);
    ASSERT_EQ(g.nodes.size(), 2u);
    EXPECT_EQ(g.nodes[0].attr_string("activation", "?"), "none");
  }
}

// x[2,16,32] -> MatMul(w1[32,64]) + b1 -> exported erf GELU -> MatMul(w2[64,24]) -> Add(b2, .) -> y
ir::Model Mlp() {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.inputs = {Float("x", {2, 16, 32})};
  m.graph.outputs = {Float("y", {2, 16, 24})};
  auto& init = m.graph.initializers;
  init["w1"] = Random({32, 64}, 11);
  init["b1"] = Random({64}, 12);
  init["w2"] = Random({64, 24}, 13);
  init["b2"] = Random({24}, 14);
  init["sqrt2"] = Tensor::Scalar<float>(std::sqrt(2.0f));
  init["one"] = Tensor::Scalar<float>(1.0f);
  init["half"] = Tensor::Scalar<float>(0.5f);
  m.graph.nodes = {N("MatMul", {"x", "w1"}, "m1"), N("Add", {"m1", "b1"}, "h"),
                   N("Div", {"h", "sqrt2"}, "d"),  N("Erf", {"d"}, "e"),
                   N("Add", {"e", "one"}, "e1"),   N("Mul", {"h", "e1"}, "g0"),
                   N("Mul", {"g0", "half"}, "g"),  N("MatMul", {"g", "w2"}, "m2"),
                   N("Add", {"b2", "m2"}, "y")};
  return m;
}

TEST(FuseMatMulBias, SessionFusesAndMatchesUnfusedReference) {
  const Tensor x = Random({2, 16, 32}, 3);
  auto run = [&](const rt::SessionOptions& o, std::vector<std::string>* fused) {
    auto s = rt::Session::Create(Mlp(), backends::DefaultRegistry(), o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok()) return Tensor();
    if (fused)
      for (const auto& k : (*s)->kernel_choices())
        if (k.op_type == "MatMulBias") fused->push_back(k.kernel);
    auto r = (*s)->Run({{"x", x}});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r->at("y") : Tensor();
  };
  rt::SessionOptions oracle;
  oracle.optimize = false;
  oracle.reference_kernels_only = true;
  const Tensor want = run(oracle, nullptr);
  for (bool ref_only : {false, true}) {
    rt::SessionOptions o;
    o.reference_kernels_only = ref_only;
    o.fuse_matmul_bias = true;  // the default (session.h), stated because the test is about it
    o.release_packed_weights = !ref_only;  // the fused kernel must not need the original W
    std::vector<std::string> fused;
    const Tensor got = run(o, &fused);
    const std::string k = ref_only ? "ref.MatMulBias" : "onednn.matmul_bias_f32";
    EXPECT_EQ(fused, (std::vector<std::string>{k, k}));
    ASSERT_TRUE(got.defined() && want.defined());
    const testing::Diff d = testing::CompareTensors(want, got);
    double scale = 1;
    for (double v : want.AsDoubleVector()) scale = std::max(scale, std::fabs(v));
    // Relative to the output's scale: the oracle rounds each GELU step to float32; the fast
    // path sums in float32 and uses oneDNN's GELU.
    EXPECT_LE(d.max_abs, (ref_only ? 1e-6 : 1e-5) * scale) << d.str();
  }
}

}  // namespace
}  // namespace samq
