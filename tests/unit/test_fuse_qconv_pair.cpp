// passes::FuseQConvPair: two dense com.samq QConv / QConvGelu nodes in a row become one QConvPair
// with both parameter sets, the first's bias slot kept (empty when absent), each conv's
// attributes under its prefix and the two op types; near misses stay as they are. The kernels are
// checked in tests/ops/test_qconv_pair.cpp, MobileSAM end to end in tests/quant.
#include <gtest/gtest.h>

#include "passes/fuse_qconv_pair.h"
#include "support/graph_builders.h"

namespace samq {
namespace {

Tensor Weights(int64_t m, int64_t c, int64_t k) { return Tensor::Zeros(DType::kInt8, {m, c, k, k}); }

// x -> QConvGelu(s1, z1, w1 [8,3,3,3], ws1, b1) -> h -> QConv(s2, z2, w2 [16,8,3,3], ws2) -> y
ir::Graph PatchEmbedding() {
  ir::Graph g;
  g.inputs = {testing::FloatValueAnyShape("x")};
  g.outputs = {testing::FloatValueAnyShape("y")};
  for (const char* name : {"s1", "z1", "ws1", "b1", "s2", "z2", "ws2"}) g.initializers[name] = Tensor::Scalar<float>(1.f);
  g.initializers["w1"] = Weights(8, 3, 3);
  g.initializers["w2"] = Weights(16, 8, 3);
  ir::Node first = testing::SamqNode("QConvGelu", {"x", "s1", "z1", "w1", "ws1", "b1"}, "h");
  first.set_attr(ir::IntsAttr("strides", {2, 2}));
  first.set_attr(ir::IntsAttr("pads", {1, 1, 1, 1}));
  ir::Node second = testing::SamqNode("QConv", {"h", "s2", "z2", "w2", "ws2"}, "y");
  second.set_attr(ir::IntsAttr("strides", {1, 1}));
  g.nodes = {first, second};
  return g;
}

TEST(FuseQConvPair, TwoDenseConvsBecomeOnePair) {
  ir::Graph g = PatchEmbedding();
  EXPECT_EQ(passes::FuseQConvPair(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  const ir::Node& n = g.nodes[0];
  EXPECT_EQ(n.op_type, "QConvPair");
  EXPECT_EQ(n.domain, "com.samq");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"x", "s1", "z1", "w1", "ws1", "b1", "s2", "z2", "w2", "ws2"}));
  EXPECT_EQ(n.outputs, (std::vector<std::string>{"y"}));
  EXPECT_EQ(n.attr_string("first_op", ""), "QConvGelu");
  EXPECT_EQ(n.attr_string("second_op", ""), "QConv");
  EXPECT_EQ(n.attr_ints("first_strides"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(n.attr_ints("first_pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(n.attr_ints("second_strides"), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(n.attr("strides"), nullptr);
}

TEST(FuseQConvPair, FirstWithoutBiasKeepsAnEmptySlot) {
  ir::Graph g = PatchEmbedding();
  g.nodes[0].inputs.pop_back();
  g.nodes[1].inputs.push_back("b1");
  EXPECT_EQ(passes::FuseQConvPair(g), 1);
  EXPECT_EQ(g.nodes[0].inputs,
            (std::vector<std::string>{"x", "s1", "z1", "w1", "ws1", "", "s2", "z2", "w2", "ws2", "b1"}));
}

TEST(FuseQConvPair, NearMissesStayUnfused) {
  auto expect_none = [](ir::Graph g, const char* what) {
    EXPECT_EQ(passes::FuseQConvPair(g), 0) << what;
    EXPECT_EQ(g.nodes.size(), 2u) << what;
  };
  {
    ir::Graph g = PatchEmbedding();
    g.nodes.push_back(testing::SamqNode("Relu", {"h"}, "z"));
    EXPECT_EQ(passes::FuseQConvPair(g), 0) << "the hidden value has a second reader";
  }
  {
    ir::Graph g = PatchEmbedding();
    g.outputs.push_back(testing::FloatValueAnyShape("h"));
    expect_none(g, "the hidden value is a graph output");
  }
  {
    ir::Graph g = PatchEmbedding();
    g.initializers["w2"] = Weights(16, 8, 1);
    expect_none(g, "a pointwise second conv (it has its own NCHW kernel)");
  }
  {
    ir::Graph g = PatchEmbedding();
    g.initializers["w1"] = Weights(8, 1, 3);
    g.nodes[0].set_attr(ir::IntAttr("group", 3));
    expect_none(g, "a grouped first conv");
  }
  {
    ir::Graph g = PatchEmbedding();
    g.initializers.erase("s2");
    g.inputs.push_back(testing::FloatValueAnyShape("s2"));
    expect_none(g, "a runtime activation scale");
  }
  {
    ir::Graph g = PatchEmbedding();
    g.nodes[0].inputs.insert(g.nodes[0].inputs.end(), {"s2", "z2"});
    expect_none(g, "a first conv that already requantizes its output");
  }
  {
    ir::Graph g = PatchEmbedding();
    g.initializers["w1"] = Tensor::Zeros(DType::kFloat32, {8, 3, 3, 3});
    expect_none(g, "float weights");
  }
  {
    ir::Graph g = PatchEmbedding();
    g.nodes[1].op_type = "QMatMul";
    expect_none(g, "the reader is not a conv");
  }
}

}  // namespace
}  // namespace samq
