// passes::FuseGelu on hand-built graphs: the exported erf and tanh GELU forms fuse into one
// com.samq Gelu node; near misses (a wrong constant, an intermediate read twice) stay unfused.
#include <gtest/gtest.h>

#include <cmath>

#include "passes/fuse_gelu.h"

namespace samq {
namespace {

ir::Node N(const std::string& op, std::vector<std::string> in, const std::string& out) {
  ir::Node n;
  n.name = out + "_node";
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = {out};
  return n;
}

// x -> 0.5 * (x * (1 + Erf(x / sqrt2))) -> y, with the final scale `half`.
ir::Graph ErfGelu(float half) {
  ir::Graph g;
  g.inputs.push_back({"x", DType::kFloat32, true, {{4}, {8}}});
  g.outputs.push_back({"y", DType::kFloat32, true, {{4}, {8}}});
  g.initializers["sqrt2"] = Tensor::Scalar<float>(std::sqrt(2.0f));
  g.initializers["one"] = Tensor::Scalar<float>(1.0f);
  g.initializers["half"] = Tensor::Scalar<float>(half);
  g.nodes = {N("Div", {"x", "sqrt2"}, "d"), N("Erf", {"d"}, "e"), N("Add", {"e", "one"}, "a"),
             N("Mul", {"x", "a"}, "m"), N("Mul", {"m", "half"}, "y")};
  return g;
}

TEST(FuseGelu, ErfFormBecomesOneNode) {
  ir::Graph g = ErfGelu(0.5f);
  EXPECT_EQ(passes::FuseGelu(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].domain, "com.samq");
  EXPECT_EQ(g.nodes[0].op_type, "Gelu");
  EXPECT_EQ(g.nodes[0].inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(g.nodes[0].outputs, std::vector<std::string>{"y"});
  EXPECT_EQ(g.nodes[0].attr_string("approximate", ""), "none");
}

TEST(FuseGelu, TanhFormBecomesOneNode) {
  ir::Graph g;
  g.initializers["c3"] = Tensor::Scalar<float>(0.044715f);
  g.initializers["k"] = Tensor::Scalar<float>(0.7978846f);
  g.initializers["one"] = Tensor::Scalar<float>(1.0f);
  g.initializers["half"] = Tensor::Scalar<float>(0.5f);
  g.outputs.push_back({"y", DType::kFloat32, false, {}});
  // The operand orders of efficientvit's export.
  g.nodes = {N("Mul", {"x", "x"}, "sq"),     N("Mul", {"x", "sq"}, "cube"), N("Mul", {"c3", "cube"}, "cc"),
             N("Add", {"x", "cc"}, "s"),     N("Mul", {"k", "s"}, "arg"),   N("Tanh", {"arg"}, "t"),
             N("Add", {"one", "t"}, "a"),    N("Mul", {"x", "a"}, "m"),     N("Mul", {"half", "m"}, "y")};
  EXPECT_EQ(passes::FuseGelu(g), 1);
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].attr_string("approximate", ""), "tanh");
}

TEST(FuseGelu, NearMissesStayUnfused) {
  ir::Graph wrong_const = ErfGelu(0.6f);
  EXPECT_EQ(passes::FuseGelu(wrong_const), 0);
  EXPECT_EQ(wrong_const.nodes.size(), 5u);

  ir::Graph shared = ErfGelu(0.5f);
  shared.outputs.push_back({"e", DType::kFloat32, false, {}});  // the Erf output escapes
  EXPECT_EQ(passes::FuseGelu(shared), 0);

  ir::Graph read_twice = ErfGelu(0.5f);
  read_twice.nodes.push_back(N("Relu", {"a"}, "z"));  // (1 + erf) has a second reader
  read_twice.outputs.push_back({"z", DType::kFloat32, false, {}});
  EXPECT_EQ(passes::FuseGelu(read_twice), 0);
}

}  // namespace
}  // namespace samq
