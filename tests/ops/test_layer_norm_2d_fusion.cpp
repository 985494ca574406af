// passes/fuse_layer_norm_2d + com.samq LayerNorm2d (backends/cpu/layer_norm_2d.cpp) against the
// nine-node LayerNorm2d subgraph (as SAM exports it) on the reference kernels. Both fused kernels
// repeat the subgraph's arithmetic operation for operation (layer_norm_2d.cpp), so the comparison
// is exact.
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "linalg_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/graph_builders.h"
#include "support/session_run.h"

namespace samq::testing::linalg {
namespace {

// x -> LayerNorm2d (SAM's export: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) -> y.
// `weight_first`: Mul(w, d) and Add(m, b) as PyTorch exports; else the operands swapped.
ir::Model LayerNorm2dModel(Shape x_shape, bool weight_first, uint32_t seed) {
  const int64_t c = x_shape[1];
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.name = "layer_norm_2d";
  m.graph.inputs = {FloatValue("x", x_shape)};
  m.graph.outputs = {FloatValueAnyShape("y")};
  auto& init = m.graph.initializers;
  init["two"] = Tensor::FromVector<float>({}, {2.0f});
  init["eps"] = Tensor::FromVector<float>({}, {1e-6f});
  init["w"] = Random({c, 1, 1}, seed);
  init["b"] = Random({c, 1, 1}, seed + 1);
  const std::vector<ir::Attribute> mean{AttrInts("axes", {1}), AttrI("keepdims", 1)};
  auto node = [](const std::string& name, const char* op, std::vector<std::string> in, std::vector<ir::Attribute> a = {}) {
    return ir::Node{name, op, "", std::move(in), {name}, std::move(a), ""};
  };
  m.graph.nodes = {node("u", "ReduceMean", {"x"}, mean),
                   node("d", "Sub", {"x", "u"}),
                   node("sq", "Pow", {"d", "two"}),
                   node("v", "ReduceMean", {"sq"}, mean),
                   node("ve", "Add", {"v", "eps"}),
                   node("s", "Sqrt", {"ve"}),
                   node("n", "Div", {"d", "s"}),
                   node("wn", "Mul", weight_first ? std::vector<std::string>{"w", "n"} : std::vector<std::string>{"n", "w"}),
                   ir::Node{"out", "Add", "", weight_first ? std::vector<std::string>{"wn", "b"} : std::vector<std::string>{"b", "wn"},
                            {"y"}, {}, ""}};
  return m;
}

SessionRun Run(ir::Model model, const Tensor& x, const rt::SessionOptions& o) {
  return RunSession(std::move(model), {{"x", x}}, o);
}

void ExpectFusedMatchesSubgraph(Shape x_shape, bool weight_first, uint32_t seed) {
  SCOPED_TRACE(shape_str(x_shape) + (weight_first ? " w*n+b" : " n*w+b"));
  // An offset mean per channel makes the variance matter (x - mean is not just x).
  Tensor x = Random(x_shape, seed + 7, 3.0f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] += 5.0f;
  rt::SessionOptions oracle = FusionTestOptions(true);
  oracle.fuse_layer_norm_2d = false;
  const SessionRun want = Run(LayerNorm2dModel(x_shape, weight_first, seed), x, oracle);
  ASSERT_TRUE(want.y.defined());
  EXPECT_EQ(want.kernel_of_op.count("LayerNorm2d"), 0u);

  const SessionRun got = Run(LayerNorm2dModel(x_shape, weight_first, seed), x, FusionTestOptions(false));
  ASSERT_TRUE(got.y.defined());
  EXPECT_EQ(got.kernel_of_op.at("LayerNorm2d"), "fast.LayerNorm2d");
  EXPECT_EQ(got.kernel_of_op.size(), 1u) << "nodes of the pattern were left";
  EXPECT_EQ(CountDiffering(want.y, got.y), 0) << "fast.LayerNorm2d vs the subgraph";

  rt::SessionOptions ref = oracle;
  ref.fuse_layer_norm_2d = true;
  const SessionRun fused_ref = Run(LayerNorm2dModel(x_shape, weight_first, seed), x, ref);
  ASSERT_TRUE(fused_ref.y.defined());
  EXPECT_EQ(fused_ref.kernel_of_op.at("LayerNorm2d"), "ref.LayerNorm2d");
  EXPECT_EQ(CountDiffering(want.y, fused_ref.y), 0) << "ref.LayerNorm2d vs the subgraph";
}

TEST(LayerNorm2dFusion, MatchesTheSubgraph) {
  ExpectFusedMatchesSubgraph({1, 64, 32, 32}, true, 1);   // SAM's upscaler shape, scaled down
  ExpectFusedMatchesSubgraph({2, 5, 7, 41}, false, 2);    // batch 2, pixels not a block multiple
  ExpectFusedMatchesSubgraph({1, 3, 1, 1}, true, 3);      // one pixel
}

TEST(LayerNorm2dFusion, OtherReadersOrRanksAreLeftAlone) {
  // The normalized value is also a graph output: nothing may be fused.
  ir::Model m = LayerNorm2dModel({1, 4, 3, 3}, true, 4);
  m.graph.outputs.push_back(FloatValueAnyShape("n"));
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry());
  ASSERT_TRUE(s.ok()) << s.status().message();
  for (const auto& k : (*s)->kernel_choices()) EXPECT_NE(k.op_type, "LayerNorm2d");
  // Rank 3: [C,1,1] weights would not be per channel of axis 1, so the pass must not fire.
  ir::Model m3 = LayerNorm2dModel({1, 4, 3, 3}, true, 5);
  m3.graph.inputs = {FloatValue("x", {4, 3, 3})};
  auto s3 = rt::Session::Create(std::move(m3), backends::DefaultRegistry());
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  for (const auto& k : (*s3)->kernel_choices()) EXPECT_NE(k.op_type, "LayerNorm2d");
}

}  // namespace
}  // namespace samq::testing::linalg
