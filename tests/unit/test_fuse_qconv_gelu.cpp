// passes::FuseQConvGelu: com.samq QConv -> com.samq Gelu becomes one com.samq QConvGelu
// (hand-built graphs), and near misses stay unfused. The kernels are checked against
// ref.QConvGelu in tests/ops/test_qconv_gelu.cpp; whole quantized models in tests/models.
#include <gtest/gtest.h>

#include "passes/fuse_qconv_gelu.h"

namespace samq {
namespace {

ir::Node N(const std::string& op, std::vector<std::string> in, const std::string& out, const std::string& domain) {
  ir::Node n;
  n.name = out + "_node";
  n.op_type = op;
  n.domain = domain;
  n.inputs = std::move(in);
  n.outputs = {out};
  return n;
}

// x -> QConv(s, zp, w, ws) -> c -> com.samq Gelu -> y
ir::Graph QConvThenGelu() {
  ir::Graph g;
  ir::ValueInfo x, y;
  x.name = "x";
  y.name = "y";
  g.inputs = {x};
  g.outputs = {y};
  g.nodes = {N("QConv", {"x", "s", "zp", "w", "ws"}, "c", "com.samq"), N("Gelu", {"c"}, "y", "com.samq")};
  return g;
}

TEST(FuseQConvGelu, QConvThenGeluBecomesOneNode) {
  ir::Graph g = QConvThenGelu();
  EXPECT_EQ(passes::FuseQConvGelu(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "QConvGelu");
  EXPECT_EQ(g.nodes[0].domain, "com.samq");
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "s", "zp", "w", "ws"}));
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<std::string>{"y"}));
}

TEST(FuseQConvGelu, NearMissesStayUnfused) {
  {  // the conv output is also read elsewhere
    ir::Graph g = QConvThenGelu();
    g.nodes.push_back(N("Relu", {"c"}, "z", ""));
    EXPECT_EQ(passes::FuseQConvGelu(g), 0);
  }
  {  // the conv output is a graph output
    ir::Graph g = QConvThenGelu();
    ir::ValueInfo c;
    c.name = "c";
    g.outputs.push_back(c);
    EXPECT_EQ(passes::FuseQConvGelu(g), 0);
  }
  {  // tanh GELU
    ir::Graph g = QConvThenGelu();
    ir::Attribute a;
    a.name = "approximate";
    a.type = ir::AttrType::kString;
    a.s = "tanh";
    g.nodes[1].set_attr(a);
    EXPECT_EQ(passes::FuseQConvGelu(g), 0);
  }
  {  // a float Conv is passes/fuse_conv_gelu's business
    ir::Graph g = QConvThenGelu();
    g.nodes[0].op_type = "Conv";
    g.nodes[0].domain.clear();
    EXPECT_EQ(passes::FuseQConvGelu(g), 0);
  }
}

}  // namespace
}  // namespace samq

namespace samq {
namespace {

TEST(FuseQConvGelu, QMatMulThenGeluBecomesQMatMulGelu) {
  ir::Graph g = QConvThenGelu();
  g.nodes[0].op_type = "QMatMul";
  EXPECT_EQ(passes::FuseQConvGelu(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "QMatMulGelu");
  EXPECT_EQ(g.nodes[0].outputs, (std::vector<std::string>{"y"}));
}

}  // namespace
}  // namespace samq
