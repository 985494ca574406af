// passes/fuse_mbconv + com.samq MBConv end to end. TinyViT's MBConv block (1x1 -> GELU ->
// depthwise 3x3 -> GELU -> 1x1 -> + x -> GELU) and its PatchMerging (stride-2 depthwise, no
// residual) are built here as torch.onnx exports them (GELU as the erf subgraph); each becomes one
// MBConv node, and the session's output matches the unfused graph on the reference kernels (the
// oracle: optimize off), on fast kernels and on ref.MBConv. Near misses stay unfused. On the
// fixtures: MobileSAM's five blocks of that form and EfficientViT-SAM's MBConvs fuse, and the
// encoders give the unfused session's embeddings.
#include <gtest/gtest.h>

#include <cmath>

#include "backends/registry.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/fixtures.h"
#include "support/graph_builders.h"

namespace samq::testing {
namespace {

using ir::IntAttr;
using ir::IntsAttr;

constexpr int64_t kC = 8, kE = 32, kH = 12, kW = 10;

struct Variant {
  int64_t stride = 1;        // 2: PatchMerging (no residual; 12 output channels)
  bool expose_expanded = false;  // near miss: the first GELU's output is also a graph output
};

ir::Model BlockModel(const Variant& v) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.producer_name = "samq-tests";
  ir::Graph& g = m.graph;
  g.name = "mbconv";
  const bool residual = v.stride == 1;
  const int64_t mo = residual ? kC : 12, oh = (kH - 1) / v.stride + 1, ow = (kW - 1) / v.stride + 1;
  g.inputs = {FloatValue("x", {1, kC, kH, kW})};
  g.outputs = {FloatValue("y", {1, mo, oh, ow})};
  if (v.expose_expanded) g.outputs.push_back(FloatValue("t", {1, kE, kH, kW}));
  g.initializers["w1"] = RandomNormal({kE, kC, 1, 1}, 1, 0.35f);
  g.initializers["b1"] = RandomNormal({kE}, 2, 0.3f);
  g.initializers["wd"] = RandomNormal({kE, 1, 3, 3}, 3, 0.33f);
  g.initializers["bd"] = RandomNormal({kE}, 4, 0.3f);
  g.initializers["w3"] = RandomNormal({mo, kE, 1, 1}, 5, 0.18f);
  g.initializers["b3"] = RandomNormal({mo}, 6, 0.3f);
  g.initializers["sqrt2"] = Tensor::Scalar<float>(std::sqrt(2.0f));
  g.initializers["one"] = Tensor::Scalar<float>(1.0f);
  g.initializers["half"] = Tensor::Scalar<float>(0.5f);
  auto gelu = [&](const std::string& in, const std::string& out) {
    g.nodes.push_back(GraphNode("Div", {in, "sqrt2"}, out + "_d"));
    g.nodes.push_back(GraphNode("Erf", {out + "_d"}, out + "_e"));
    g.nodes.push_back(GraphNode("Add", {out + "_e", "one"}, out + "_a"));
    g.nodes.push_back(GraphNode("Mul", {in, out + "_a"}, out + "_m"));
    g.nodes.push_back(GraphNode("Mul", {out + "_m", "half"}, out));
  };
  g.nodes.push_back(GraphNode("Conv", {"x", "w1", "b1"}, "c1", {IntsAttr("kernel_shape", {1, 1})}));
  gelu("c1", "t");
  g.nodes.push_back(GraphNode("Conv", {"t", "wd", "bd"}, "c2",
                              {IntAttr("group", kE), IntsAttr("kernel_shape", {3, 3}), IntsAttr("pads", {1, 1, 1, 1}),
                               IntsAttr("strides", {v.stride, v.stride})}));
  gelu("c2", "d");
  g.nodes.push_back(GraphNode("Conv", {"d", "w3", "b3"}, residual ? "z" : "y", {IntsAttr("kernel_shape", {1, 1})}));
  if (residual) {
    g.nodes.push_back(GraphNode("Add", {"z", "x"}, "r"));
    gelu("r", "y");
  }
  return m;
}

struct Compiled {
  int mbconv_nodes = -1;
  std::map<std::string, Tensor> outs;
};

Compiled CompileAndRun(ir::Model model, const std::map<std::string, Tensor>& feeds, const rt::SessionOptions& o) {
  Compiled c;
  auto s = rt::Session::Create(std::move(model), backends::DefaultRegistry(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return c;
  c.mbconv_nodes = 0;
  for (const auto& n : (*s)->model().graph.nodes) c.mbconv_nodes += n.op_type == "MBConv" && n.domain == "com.samq";
  auto r = (*s)->Run(feeds);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (r.ok()) c.outs = std::move(r).value();
  return c;
}

// max |want - got| <= rtol * max(1, max |want|).
void ExpectClose(const Tensor& want, const Tensor& got, double rtol, const std::string& what) {
  ASSERT_TRUE(want.defined() && got.defined()) << what;
  double scale = 1;
  for (double v : want.AsDoubleVector()) scale = std::max(scale, std::fabs(v));
  const Diff d = CompareTensors(want, got);
  ASSERT_TRUE(d.same_shape) << what;
  EXPECT_LE(d.max_abs, rtol * scale) << what << ": " << d.str();
  EXPECT_EQ(d.nan_mismatch, 0) << what;
}

TEST(MBConvFusion, ExportedBlocksFuseAndMatchTheUnfusedGraph) {
  for (int64_t stride : {1, 2}) {
    Variant v;
    v.stride = stride;
    SCOPED_TRACE(stride == 1 ? "MBConv block (residual, last GELU)" : "PatchMerging (stride 2)");
    const std::map<std::string, Tensor> feeds{{"x", RandomNormal({1, kC, kH, kW}, 9)}};
    rt::SessionOptions oracle;
    oracle.optimize = false;
    oracle.reference_kernels_only = true;
    const Compiled want = CompileAndRun(BlockModel(v), feeds, oracle);
    EXPECT_EQ(want.mbconv_nodes, 0);
    for (bool ref_only : {false, true}) {
      SCOPED_TRACE(ref_only ? "reference kernels" : "fast kernels");
      rt::SessionOptions o;
      o.reference_kernels_only = ref_only;
      o.threads = 2;
      const Compiled fused = CompileAndRun(BlockModel(v), feeds, o);
      EXPECT_EQ(fused.mbconv_nodes, 1);
      // Unfused: float32 convs rounded at each node; fused: float32 GEMMs and fastmath's erf.
      ExpectClose(want.outs.at("y"), fused.outs.at("y"), ref_only ? 1e-6 : 1e-5, "fused vs oracle");
      o.fuse_mbconv = false;
      EXPECT_EQ(CompileAndRun(BlockModel(v), feeds, o).mbconv_nodes, 0);
    }
  }
}

TEST(MBConvFusion, ExpandedTensorReadElsewhereStaysUnfused) {
  Variant v;
  v.expose_expanded = true;
  rt::SessionOptions o;
  const Compiled c = CompileAndRun(BlockModel(v), {{"x", RandomNormal({1, kC, kH, kW}, 9)}}, o);
  EXPECT_EQ(c.mbconv_nodes, 0);
  EXPECT_EQ(c.outs.count("t"), 1u);
}

// The fixture encoder fuses one MBConv per expand conv of the architecture (the Conv nodes whose
// name contains `expand_conv`, as the official modules name them) and reproduces the unfused
// session's outputs.
void CheckEncoder(const std::filesystem::path& model, const Shape& image, const std::string& expand_conv) {
  SAMQ_REQUIRE_PATH(model);
  auto load = [&] {
    auto m = onnx::LoadModel(model);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? std::move(m->model) : ir::Model{};
  };
  int expected = 0;
  for (const auto& n : load().graph.nodes) expected += n.op_type == "Conv" && n.name.find(expand_conv) != std::string::npos;
  ASSERT_GT(expected, 0);
  const std::map<std::string, Tensor> feeds{{"image", RandomNormal(image, 11)}};
  rt::SessionOptions o;
  o.threads = 2;
  const Compiled fused = CompileAndRun(load(), feeds, o);
  o.fuse_mbconv = false;
  const Compiled plain = CompileAndRun(load(), feeds, o);
  EXPECT_EQ(fused.mbconv_nodes, expected);
  EXPECT_EQ(plain.mbconv_nodes, 0);
  ASSERT_FALSE(plain.outs.empty());
  for (const auto& [name, want] : plain.outs) ExpectClose(want, fused.outs.at(name), 1e-4, name + " fused vs unfused");
}

// TinyViT: conv1 of layers.0's two MBConv blocks and of the PatchMerging of layers.0, .1, .2.
TEST(MBConvFusion, MobileSamBlocksFuse) {
  SAMQ_REQUIRE_FIXTURES();
  CheckEncoder(FixturesDir() / "mobilesam" / "encoder.onnx", {1, 3, 1024, 1024}, "/conv1/c/Conv");
}

// EfficientViT: the MBConvs of stages 3 and 4 (their depthwise-separable convs of stages 1-2 and
// the attention's aggregation convs are not of this form and stay unfused).
TEST(MBConvFusion, EfficientVitSamBlocksFuse) {
  SAMQ_REQUIRE_FIXTURES();
  CheckEncoder(FixturesDir() / "efficientvit-sam-mini" / "encoder.onnx", {1, 3, 512, 512}, "/inverted_conv/");
}

}  // namespace
}  // namespace samq::testing
