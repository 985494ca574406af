// passes::FuseAttentionCodes: the qkv QMatMul whose one reader is an integer com.samq Attention
// (strided form, inputs 10..15) gets Q's, K's and V's scales and zero points as its output
// quantization (inputs 6, 7), one pair per output column as the views read them; near misses
// stay as they are. The kernels are checked in tests/ops (test_qmatmul_requantize,
// test_int8_attention), whole quantized models against ONNX Runtime in tests/quant.
#include <gtest/gtest.h>

#include "passes/fuse_attention_codes.h"
#include "support/graph_builders.h"

namespace samq {
namespace {


// x -> QMatMul(w [8, 12]) -> qkv [2 windows, 4 tokens, 12] -> Attention -> y [2, 4, 4]: two heads
// of depth 2, each head's columns laid out as [q q k k v v] (TinyViT's qkv split).
ir::Graph QkvAttention() {
  ir::Graph g;
  g.inputs = {testing::FloatValueAnyShape("x")};
  g.outputs = {testing::FloatValueAnyShape("y")};
  for (const char* name : {"sx", "ws", "b", "ps"}) g.initializers[name] = Tensor::Scalar<float>(0.1f);
  g.initializers["zx"] = Tensor::Scalar<uint8_t>(128);
  g.initializers["w"] = Tensor::Zeros(DType::kInt8, {8, 12});
  g.initializers["pz"] = Tensor::Scalar<uint8_t>(0);
  g.initializers["qs"] = Tensor::Scalar<float>(0.02f);
  g.initializers["qz"] = Tensor::Scalar<uint8_t>(120);
  g.initializers["ks"] = Tensor::Scalar<float>(0.03f);
  g.initializers["kz"] = Tensor::Scalar<uint8_t>(130);
  g.initializers["vs"] = Tensor::Scalar<float>(0.04f);
  g.initializers["vz"] = Tensor::Scalar<uint8_t>(125);
  ir::Node att = testing::SamqNode("Attention", {"qkv", "qkv", "qkv", "", "", "", "", "", "ps", "pz", "qs", "qz", "ks", "kz", "vs", "vz"},
                   "y");
  att.set_attr(ir::IntsAttr("layout_dims", {4, 4, 2, 2}));
  att.set_attr(ir::IntsAttr("output_shape", {2, 4, 4}));
  // [offset, row_stride, col_stride, (windows: 2, 48), (heads: 2, 6)]
  att.set_attr(ir::IntsAttr("q_view", {0, 12, 1, 2, 48, 2, 6}));
  att.set_attr(ir::IntsAttr("k_view", {2, 12, 1, 2, 48, 2, 6}));
  att.set_attr(ir::IntsAttr("v_view", {4, 12, 1, 2, 48, 2, 6}));
  att.set_attr(ir::IntsAttr("y_view", {0, 4, 1, 2, 16, 2, 2}));
  g.nodes = {testing::SamqNode("QMatMul", {"x", "sx", "zx", "w", "ws", "b"}, "qkv"), att};
  return g;
}

TEST(FuseAttentionCodes, ProjectionTakesEachColumnsOperandParameters) {
  ir::Graph g = QkvAttention();
  ASSERT_EQ(passes::FuseAttentionCodes(g), 1);
  const ir::Node& proj = g.nodes[0];
  ASSERT_EQ(proj.inputs.size(), 8u);
  const Tensor& scales = g.initializers.at(proj.inputs[6]);
  const Tensor& zps = g.initializers.at(proj.inputs[7]);
  ASSERT_EQ(scales.numel(), 12);
  ASSERT_EQ(zps.dtype(), DType::kUInt8);
  const float want_scale[3] = {0.02f, 0.03f, 0.04f};
  const uint8_t want_zp[3] = {120, 130, 125};
  for (int64_t c = 0; c < 12; ++c) {
    const int role = static_cast<int>(c % 6 / 2);  // [q q k k v v] per head
    EXPECT_EQ(scales.data<float>()[c], want_scale[role]) << "column " << c;
    EXPECT_EQ(zps.data<uint8_t>()[c], want_zp[role]) << "column " << c;
  }
}

TEST(FuseAttentionCodes, EqualParametersGiveScalars) {
  ir::Graph g = QkvAttention();
  g.initializers["ks"] = g.initializers["vs"] = g.initializers["qs"];
  g.initializers["kz"] = g.initializers["vz"] = g.initializers["qz"];
  ASSERT_EQ(passes::FuseAttentionCodes(g), 1);
  EXPECT_EQ(g.initializers.at(g.nodes[0].inputs[6]).numel(), 1);
  EXPECT_EQ(g.initializers.at(g.nodes[0].inputs[7]).numel(), 1);
}

TEST(FuseAttentionCodes, NearMissesStayUnfused) {
  {  // the qkv tensor is read by another node too
    ir::Graph g = QkvAttention();
    g.nodes.push_back(testing::SamqNode("Relu", {"qkv"}, "z"));
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // the qkv tensor is a graph output
    ir::Graph g = QkvAttention();
    g.outputs.push_back(testing::FloatValueAnyShape("qkv"));
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // the producer has a GELU / is a float MatMul / already requantizes
    for (const char* op : {"QMatMulGelu", "MatMulBias"}) {
      ir::Graph g = QkvAttention();
      g.nodes[0].op_type = op;
      EXPECT_EQ(passes::FuseAttentionCodes(g), 0) << op;
    }
    ir::Graph g = QkvAttention();
    g.nodes[0].inputs.insert(g.nodes[0].inputs.end(), {"qs", "qz"});
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // rel-pos tables read Q as float
    ir::Graph g = QkvAttention();
    g.initializers["th"] = g.initializers["tw"] = Tensor::Zeros(DType::kFloat32, {2, 2, 2});
    g.nodes[1].inputs[6] = "th";
    g.nodes[1].inputs[7] = "tw";
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // V's zero point is int8, Q's and K's uint8: one output type cannot hold them
    ir::Graph g = QkvAttention();
    g.initializers["vz"] = Tensor::Scalar<int8_t>(0);
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // K's scale is computed, not an initializer
    ir::Graph g = QkvAttention();
    g.initializers.erase("ks");
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // a column read as both Q and K with different parameters (K's view overlaps Q's)
    ir::Graph g = QkvAttention();
    g.nodes[1].set_attr(ir::IntsAttr("k_view", {1, 12, 1, 2, 48, 2, 6}));
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
  {  // Q and K from different tensors
    ir::Graph g = QkvAttention();
    g.nodes[1].inputs[1] = "x";
    EXPECT_EQ(passes::FuseAttentionCodes(g), 0);
  }
}

}  // namespace
}  // namespace samq
