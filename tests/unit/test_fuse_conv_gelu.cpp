// passes::FuseConvGelu: Conv -> com.samq Gelu becomes one com.samq ConvGelu (hand-built graphs,
// near misses stay unfused), and a session on a model with the exported erf GELU after a
// pointwise, a 3x3 and a depthwise conv fuses all three and gives the results of the unfused
// graph on the reference kernels (the oracle: optimize off, reference kernels only).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "backends/registry.h"
#include "passes/fuse_conv_gelu.h"
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

// x -> Conv(w) -> c -> com.samq Gelu -> y
ir::Graph ConvThenGelu() {
  ir::Graph g;
  g.inputs = {Float("x", {1, 2, 4, 4})};
  g.outputs = {Float("y", {1, 3, 4, 4})};
  g.initializers["w"] = Random({3, 2, 1, 1}, 1);
  g.nodes = {N("Conv", {"x", "w"}, "c"), N("Gelu", {"c"}, "y", "com.samq")};
  return g;
}

TEST(FuseConvGelu, ConvThenGeluBecomesOneNode) {
  ir::Graph g = ConvThenGelu();
  EXPECT_EQ(passes::FuseConvGelu(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "ConvGelu");
  EXPECT_EQ(g.nodes[0].domain, "com.samq");
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "w"}));
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<std::string>{"y"}));
}

// The Gelu's `approximate` attribute.
ir::Attribute Approximate(const char* form) {
  ir::Attribute a;
  a.name = "approximate";
  a.type = ir::AttrType::kString;
  a.s = form;
  return a;
}

TEST(FuseConvGelu, TanhGeluKeepsItsForm) {
  ir::Graph g = ConvThenGelu();
  g.nodes[1].set_attr(Approximate("tanh"));
  EXPECT_EQ(passes::FuseConvGelu(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "ConvGelu");
  EXPECT_EQ(g.nodes[0].attr_string("approximate", "none"), "tanh");
}

TEST(FuseConvGelu, NearMissesStayUnfused) {
  {  // the conv output is also read elsewhere
    ir::Graph g = ConvThenGelu();
    g.nodes.push_back(N("Relu", {"c"}, "z"));
    g.outputs.push_back(Float("z", {1, 3, 4, 4}));
    EXPECT_EQ(passes::FuseConvGelu(g), 0);
  }
  {  // the conv output is a graph output
    ir::Graph g = ConvThenGelu();
    g.outputs.push_back(Float("c", {1, 3, 4, 4}));
    EXPECT_EQ(passes::FuseConvGelu(g), 0);
  }
  {  // a GELU form ONNX does not define
    ir::Graph g = ConvThenGelu();
    g.nodes[1].set_attr(Approximate("sigmoid"));
    EXPECT_EQ(passes::FuseConvGelu(g), 0);
  }
  {  // weights not an initializer (float32 not provable)
    ir::Graph g = ConvThenGelu();
    g.initializers.erase("w");
    g.inputs.push_back(Float("w", {3, 2, 1, 1}));
    EXPECT_EQ(passes::FuseConvGelu(g), 0);
  }
}

// x[1,8,12,12] -> pointwise Conv 8->16 (+b) -> GELU -> 3x3 Conv 16->16 pad 1 -> GELU ->
// depthwise 3x3 stride 2 pad 1 (+b) -> GELU -> y; each GELU as PyTorch exports it (erf form, or
// with `tanh` the tanh approximation EfficientViT uses).
ir::Model ConvGeluChain(bool tanh = false) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.inputs = {Float("x", {1, 8, 12, 12})};
  m.graph.outputs = {Float("y", {1, 16, 6, 6})};
  auto& init = m.graph.initializers;
  init["w1"] = Random({16, 8, 1, 1}, 11);
  init["b1"] = Random({16}, 12);
  init["w2"] = Random({16, 16, 3, 3}, 13);
  init["w3"] = Random({16, 1, 3, 3}, 14);
  init["b3"] = Random({16}, 15);
  init["sqrt2"] = Tensor::Scalar<float>(std::sqrt(2.0f));
  init["one"] = Tensor::Scalar<float>(1.0f);
  init["half"] = Tensor::Scalar<float>(0.5f);
  init["k"] = Tensor::Scalar<float>(0.044715f);
  init["sqrt2pi"] = Tensor::Scalar<float>(std::sqrt(2.0f / static_cast<float>(M_PI)));
  auto attr_ints = [](const char* name, std::vector<int64_t> v) {
    ir::Attribute a;
    a.name = name;
    a.type = ir::AttrType::kInts;
    a.ints = std::move(v);
    return a;
  };
  auto gelu = [&](const std::string& in, const std::string& out) {
    std::vector<ir::Node> n = {N("Div", {in, "sqrt2"}, out + "_d"), N("Erf", {out + "_d"}, out + "_e"),
                               N("Add", {out + "_e", "one"}, out + "_a"), N("Mul", {in, out + "_a"}, out + "_m"),
                               N("Mul", {out + "_m", "half"}, out)};
    if (tanh)  // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x * (x * x))))
      n = {N("Mul", {in, in}, out + "_sq"),           N("Mul", {in, out + "_sq"}, out + "_cube"),
           N("Mul", {out + "_cube", "k"}, out + "_kc"), N("Add", {in, out + "_kc"}, out + "_in"),
           N("Mul", {out + "_in", "sqrt2pi"}, out + "_s"), N("Tanh", {out + "_s"}, out + "_t"),
           N("Add", {out + "_t", "one"}, out + "_a"),    N("Mul", {in, out + "_a"}, out + "_m"),
           N("Mul", {out + "_m", "half"}, out)};
    m.graph.nodes.insert(m.graph.nodes.end(), n.begin(), n.end());
  };
  m.graph.nodes.push_back(N("Conv", {"x", "w1", "b1"}, "c1"));
  gelu("c1", "g1");
  ir::Node c2 = N("Conv", {"g1", "w2"}, "c2");
  c2.set_attr(attr_ints("pads", {1, 1, 1, 1}));
  m.graph.nodes.push_back(c2);
  gelu("c2", "g2");
  ir::Node c3 = N("Conv", {"g2", "w3", "b3"}, "c3");
  c3.set_attr(attr_ints("pads", {1, 1, 1, 1}));
  c3.set_attr(attr_ints("strides", {2, 2}));
  ir::Attribute group;
  group.name = "group";
  group.type = ir::AttrType::kInt;
  group.i = 16;
  c3.set_attr(group);
  m.graph.nodes.push_back(c3);
  gelu("c3", "y");
  return m;
}

Tensor RunChain(const rt::SessionOptions& o, const Tensor& x, std::vector<rt::NodeKernelChoice>* kernels,
               bool tanh = false) {
  auto s = rt::Session::Create(ConvGeluChain(tanh), backends::DefaultRegistry(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return Tensor();
  if (kernels) *kernels = (*s)->kernel_choices();
  auto r = (*s)->Run({{"x", x}});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->at("y") : Tensor();
}

TEST(FuseConvGelu, SessionFusesAndMatchesUnfusedReference) {
  for (bool tanh : {false, true})
  for (bool ref_only : {false, true}) {
    SCOPED_TRACE(std::string(tanh ? "tanh" : "erf") + (ref_only ? " reference kernels" : " fast kernels"));
    const Tensor x = Random({1, 8, 12, 12}, 3);
    rt::SessionOptions oracle;
    oracle.optimize = false;
    oracle.reference_kernels_only = true;
    const Tensor want = RunChain(oracle, x, nullptr, tanh);
    rt::SessionOptions o;
    o.reference_kernels_only = ref_only;
    std::vector<rt::NodeKernelChoice> kernels;
    const Tensor got = RunChain(o, x, &kernels, tanh);
    std::vector<std::string> fused;
    for (const auto& k : kernels)
      if (k.op_type == "ConvGelu") fused.push_back(k.kernel);
    const std::vector<std::string> expect_kernels =
        ref_only ? std::vector<std::string>{"ref.ConvGelu", "ref.ConvGelu", "ref.ConvGelu"}
                 : std::vector<std::string>{"onednn.pointwise_conv_gelu_f32", "onednn.conv_gelu_f32", "fast.DepthwiseConvGelu"};
    EXPECT_EQ(fused, expect_kernels);
    ASSERT_TRUE(got.defined() && want.defined());
    const testing::Diff d = testing::CompareTensors(want, got);
    double scale = 1;
    for (double v : want.AsDoubleVector()) scale = std::max(scale, std::fabs(v));
    // Relative to the output's scale: the unfused oracle rounds each of GELU's five steps to
    // float32 (a few ulps), the fast path adds float32 conv sums and fastmath::Erf.
    EXPECT_LE(d.max_abs, (ref_only ? 1e-6 : 1e-5) * scale) << d.str();
  }
}

// SAM's mask upscaler step: ConvTranspose 2x2 stride 2 (+b) -> exported erf GELU. The session
// fuses it into com.samq ConvTransposeGelu (GELU applied as each output row is written) and
// matches the unfused graph on the reference kernels.
ir::Model ConvTransposeGeluModel() {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.inputs = {Float("x", {1, 8, 6, 7})};
  m.graph.outputs = {Float("y", {1, 4, 12, 14})};
  auto& init = m.graph.initializers;
  init["w"] = Random({8, 4, 2, 2}, 21);
  init["b"] = Random({4}, 22);
  init["sqrt2"] = Tensor::Scalar<float>(std::sqrt(2.0f));
  init["one"] = Tensor::Scalar<float>(1.0f);
  init["half"] = Tensor::Scalar<float>(0.5f);
  ir::Node d = N("ConvTranspose", {"x", "w", "b"}, "d");
  ir::Attribute strides;
  strides.name = "strides";
  strides.type = ir::AttrType::kInts;
  strides.ints = {2, 2};
  d.set_attr(strides);
  m.graph.nodes = {d,
                   N("Div", {"d", "sqrt2"}, "e0"),
                   N("Erf", {"e0"}, "e1"),
                   N("Add", {"e1", "one"}, "e2"),
                   N("Mul", {"d", "e2"}, "e3"),
                   N("Mul", {"e3", "half"}, "y")};
  return m;
}

TEST(FuseConvGelu, ConvTransposeThenGeluFusesAndMatchesUnfusedReference) {
  const Tensor x = Random({1, 8, 6, 7}, 23);
  auto run = [&](const rt::SessionOptions& o, std::vector<std::string>* fused) {
    auto s = rt::Session::Create(ConvTransposeGeluModel(), backends::DefaultRegistry(), o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (!s.ok()) return Tensor();
    if (fused)
      for (const auto& k : (*s)->kernel_choices())
        if (k.op_type == "ConvTransposeGelu") fused->push_back(k.kernel);
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
    std::vector<std::string> fused;
    const Tensor got = run(o, &fused);
    EXPECT_EQ(fused, std::vector<std::string>{ref_only ? "ref.ConvTransposeGelu" : "onednn.deconv_gemm_gelu_f32"});
    ASSERT_TRUE(got.defined() && want.defined());
    const testing::Diff d = testing::CompareTensors(want, got);
    double scale = 1;
    for (double v : want.AsDoubleVector()) scale = std::max(scale, std::fabs(v));
    EXPECT_LE(d.max_abs, (ref_only ? 1e-6 : 1e-5) * scale) << d.str();
  }
}

}  // namespace
}  // namespace samq
