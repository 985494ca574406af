// passes::FoldKnownShapes on partly known shapes: Gather(Shape(x), constant index) folds when the
// picked dim is known (the decoders' batch and channel dims) and stays when it is dynamic (the
// token count); Shape's start attribute shifts the index. A session on the same graph returns the
// run-time shape either way (the folded constants agree with what the unfolded nodes compute).
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "passes/fold_constants.h"
#include "runtime/session.h"
#include "support/graph_builders.h"

namespace samq {
namespace {

using testing::GraphNode;

using ir::IntAttr;

ir::ValueInfo Int64Out(const std::string& name) {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = DType::kInt64;
  return v;
}

// x [1, tokens, 8] -> Shape -> Gather 0 / 1 / 2; Shape(start = 1) -> Gather 1 (= dim 2).
ir::Graph PartlyKnownShapeGraph() {
  ir::Graph g;
  ir::ValueInfo x;
  x.name = "x";
  x.dtype = DType::kFloat32;
  x.has_shape = true;
  x.dims = {{1, ""}, {-1, "tokens"}, {8, ""}};
  g.inputs = {x};
  for (int64_t i = 0; i < 3; ++i) g.initializers["i" + std::to_string(i)] = Tensor::Scalar<int64_t>(i);
  g.nodes = {GraphNode("Shape", {"x"}, "s"), GraphNode("Gather", {"s", "i0"}, "batch", {IntAttr("axis", 0)}),
             GraphNode("Gather", {"s", "i1"}, "tokens", {IntAttr("axis", 0)}), GraphNode("Gather", {"s", "i2"}, "channels", {IntAttr("axis", 0)}),
             GraphNode("Shape", {"x"}, "tail", {IntAttr("start", 1)}), GraphNode("Gather", {"tail", "i1"}, "tail_channels", {IntAttr("axis", 0)})};
  g.outputs = {Int64Out("batch"), Int64Out("tokens"), Int64Out("channels"), Int64Out("tail_channels")};
  return g;
}

TEST(FoldKnownShapes, GathersOfKnownDimsFoldDynamicOnesStay) {
  ir::Graph g = PartlyKnownShapeGraph();
  std::map<std::string, ir::TensorType> types;
  types["x"] = {DType::kFloat32, true, {1, -1, 8}};
  for (const char* s : {"s"}) types[s] = {DType::kInt64, true, {3}};
  types["tail"] = {DType::kInt64, true, {2}};
  EXPECT_EQ(passes::FoldKnownShapes(g, types), 3);
  for (const auto& [name, want] : std::map<std::string, int64_t>{{"batch", 1}, {"channels", 8}, {"tail_channels", 8}}) {
    ASSERT_TRUE(g.is_initializer(name)) << name;
    EXPECT_EQ(g.initializers.at(name).data<int64_t>()[0], want) << name;
  }
  EXPECT_FALSE(g.is_initializer("tokens"));
  int gathers = 0;
  for (const auto& n : g.nodes) gathers += n.op_type == "Gather";
  EXPECT_EQ(gathers, 1);  // only the token count is left to compute at run time
}

TEST(FoldKnownShapes, SessionReturnsTheRunTimeShape) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph = PartlyKnownShapeGraph();
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry());
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto r = (*s)->Run({{"x", Tensor::Zeros(DType::kFloat32, {1, 5, 8})}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("batch").data<int64_t>()[0], 1);
  EXPECT_EQ(r->at("tokens").data<int64_t>()[0], 5);
  EXPECT_EQ(r->at("channels").data<int64_t>()[0], 8);
  EXPECT_EQ(r->at("tail_channels").data<int64_t>()[0], 8);
}

}  // namespace
}  // namespace samq
