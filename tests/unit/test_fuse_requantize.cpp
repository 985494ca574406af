// passes::FuseRequantize: a QMatMul(Gelu) whose one reader is another QMatMul(Gelu) gets the
// reader's activation scale and zero point as its output quantization (inputs 6, 7); near
// misses stay as they are. The kernels are checked in tests/ops/test_qmatmul_requantize.cpp,
// whole quantized models (fused against unfused) in tests/quant/test_quantize_models.cpp.
#include <gtest/gtest.h>

#include "passes/fuse_requantize.h"
#include "support/graph_builders.h"

namespace samq {
namespace {


// x -> QMatMulGelu(s1, z1, w1, ws1, b1) -> h -> QMatMul(s2, z2, w2, ws2) -> y
ir::Graph Mlp() {
  ir::Graph g;
  g.inputs = {testing::FloatValueAnyShape("x")};
  g.outputs = {testing::FloatValueAnyShape("y")};
  for (const char* name : {"s1", "z1", "w1", "ws1", "b1", "s2", "z2", "w2", "ws2"})
    g.initializers[name] = Tensor::Scalar<float>(1.f);
  g.nodes = {testing::SamqNode("QMatMulGelu", {"x", "s1", "z1", "w1", "ws1", "b1"}, "h"),
             testing::SamqNode("QMatMul", {"h", "s2", "z2", "w2", "ws2"}, "y")};
  return g;
}

TEST(FuseRequantize, ProducerTakesTheConsumersActivationParameters) {
  ir::Graph g = Mlp();
  EXPECT_EQ(passes::FuseRequantize(g), 1);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "s1", "z1", "w1", "ws1", "b1", "s2", "z2"}));
  EXPECT_EQ(g.nodes[0].op_type, "QMatMulGelu");
  EXPECT_EQ(g.nodes[1].inputs, (std::vector<std::string>{"h", "s2", "z2", "w2", "ws2"}));
}

TEST(FuseRequantize, ProducerWithoutBiasGetsAnEmptyBiasSlot) {
  ir::Graph g = Mlp();
  g.nodes[0].inputs.pop_back();
  EXPECT_EQ(passes::FuseRequantize(g), 1);
  EXPECT_EQ(g.nodes[0].inputs, (std::vector<std::string>{"x", "s1", "z1", "w1", "ws1", "", "s2", "z2"}));
}

TEST(FuseRequantize, ChainsFuseAtEveryLink) {
  ir::Graph g = Mlp();
  g.nodes[1].outputs = {"h2"};
  g.nodes.push_back(testing::SamqNode("QMatMul", {"h2", "s1", "z1", "w1", "ws1"}, "y"));
  EXPECT_EQ(passes::FuseRequantize(g), 2);
  EXPECT_EQ(g.nodes[1].inputs.size(), 8u);
  EXPECT_EQ(g.nodes[2].inputs.size(), 5u);
}

TEST(FuseRequantize, NearMissesStayUnfused) {
  {  // the hidden value is read by another node too
    ir::Graph g = Mlp();
    g.nodes.push_back(testing::SamqNode("Relu", {"h"}, "z"));
    EXPECT_EQ(passes::FuseRequantize(g), 0);
  }
  {  // the hidden value is a graph output
    ir::Graph g = Mlp();
    g.outputs.push_back(testing::FloatValueAnyShape("h"));
    EXPECT_EQ(passes::FuseRequantize(g), 0);
  }
  {  // the consumer reads it as its weights, not its activation
    ir::Graph g = Mlp();
    g.nodes[1].inputs = {"x", "s2", "z2", "h", "ws2"};
    EXPECT_EQ(passes::FuseRequantize(g), 0);
  }
  {  // the consumer's activation scale is computed, not an initializer
    ir::Graph g = Mlp();
    g.initializers.erase("s2");
    EXPECT_EQ(passes::FuseRequantize(g), 0);
  }
  {  // the consumer is a float MatMul / a QConv
    for (const char* op : {"MatMul", "QConv"}) {
      ir::Graph g = Mlp();
      g.nodes[1].op_type = op;
      EXPECT_EQ(passes::FuseRequantize(g), 0) << op;
    }
  }
  {  // the producer already requantizes
    ir::Graph g = Mlp();
    g.nodes[0].inputs.insert(g.nodes[0].inputs.end(), {"s2", "z2"});
    EXPECT_EQ(passes::FuseRequantize(g), 0);
  }
}

}  // namespace
}  // namespace samq
