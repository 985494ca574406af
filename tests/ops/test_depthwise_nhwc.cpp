// passes/fuse_channels_last_depthwise + com.samq DepthwiseConvNhwc (backends/cpu/depthwise_nhwc.cpp)
// against the subgraph TinyViT exports around its local conv (Transpose -> Reshape -> depthwise
// Conv or com.samq QConv -> Reshape -> Transpose), run unfused (ref.Conv and ref.QConv are checked
// against ONNX Runtime by the conformance and QDQ suites):
//   - ref.DepthwiseConvNhwc sums in double in ref.Conv's order: it must equal the unfused graph on
//     the reference kernels bit for bit;
//   - the fast kernels take fast.DepthwiseConv's multiply-adds in the same order: equal to the
//     unfused graph on the fast kernels bit for bit.
// Near misses (not depthwise, another reader, another permutation) stay unfused.
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "linalg_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/graph_builders.h"
#include "support/session_run.h"

namespace samq::testing::linalg {
namespace {

struct LocalConv {
  int64_t b = 1, h = 8, w = 8, c = 16, k = 3, stride = 1, pad = 1;
  bool bias = true, quantized = false, u8 = true;
  int64_t group = -1;  // -1: C (depthwise)
  std::vector<int64_t> back_perm{0, 2, 1};
  int64_t oh() const { return (h + 2 * pad - k) / stride + 1; }
  int64_t ow() const { return (w + 2 * pad - k) / stride + 1; }
};

Tensor Ints(std::vector<int64_t> v) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v); }

// x [B, H*W, C] -> Transpose -> Reshape [B, C, H, W] -> Conv | QConv -> Reshape [B, C, OH*OW] ->
// Transpose(back_perm) -> y.
ir::Model LocalConvModel(const LocalConv& p, uint32_t seed) {
  ir::Model m;
  m.opsets = {{"", 17}, {"com.samq", 1}};
  m.graph.name = "local_conv";
  m.graph.inputs = {FloatValue("x", {p.b, p.h * p.w, p.c})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  const int64_t group = p.group < 0 ? p.c : p.group;
  auto& init = m.graph.initializers;
  init["to_image"] = Ints({p.b, p.c, p.h, p.w});
  init["to_rows"] = Ints({p.b, p.c, p.oh() * p.ow()});
  init["b"] = Random({p.c}, seed + 1, 0.1f);
  std::vector<ir::Attribute> attrs{AttrI("group", group), AttrInts("kernel_shape", {p.k, p.k}),
                                   AttrInts("pads", {p.pad, p.pad, p.pad, p.pad}),
                                   AttrInts("strides", {p.stride, p.stride})};
  ir::Node conv{"conv", "Conv", "", {"image", "w"}, {"conv_out"}, attrs, ""};
  if (p.quantized) {
    init["w"] = RandomInt8({p.c, p.c / group, p.k, p.k}, seed + 2);
    init["w_scale"] = Random({p.c}, seed + 3, 0.01f);
    for (int64_t i = 0; i < p.c; ++i) init["w_scale"].data<float>()[i] = std::abs(init["w_scale"].data<float>()[i]) + 1e-3f;
    init["x_scale"] = Tensor::FromVector<float>({}, {0.02f});
    init["x_zp"] = p.u8 ? Tensor::FromVector<uint8_t>({}, {128}) : Tensor::FromVector<int8_t>({}, {-3});
    conv = ir::Node{"conv", "QConv", "com.samq", {"image", "x_scale", "x_zp", "w", "w_scale"}, {"conv_out"}, attrs, ""};
    if (p.bias) conv.inputs.push_back("b");
  } else {
    init["w"] = Random({p.c, p.c / group, p.k, p.k}, seed + 2, 0.3f);
    if (p.bias) conv.inputs.push_back("b");
  }
  m.graph.nodes = {ir::Node{"to_channels", "Transpose", "", {"x"}, {"t"}, {AttrInts("perm", {0, 2, 1})}, ""},
                   ir::Node{"image", "Reshape", "", {"t", "to_image"}, {"image"}, {}, ""}, conv,
                   ir::Node{"rows", "Reshape", "", {"conv_out", "to_rows"}, {"rows"}, {}, ""},
                   ir::Node{"to_tokens", "Transpose", "", {"rows"}, {"y"}, {AttrInts("perm", p.back_perm)}, ""}};
  return m;
}

SessionRun RunModel(ir::Model model, const Tensor& x, bool ref_only, bool fuse) {
  rt::SessionOptions o = FusionTestOptions(ref_only);
  o.fuse_channels_last_depthwise = fuse;
  return RunSession(std::move(model), {{"x", x}}, o);
}

void ExpectFusedMatchesSubgraph(const LocalConv& p, uint32_t seed) {
  SCOPED_TRACE("B " + std::to_string(p.b) + " " + std::to_string(p.h) + "x" + std::to_string(p.w) + " C " +
               std::to_string(p.c) + " k " + std::to_string(p.k) + " stride " + std::to_string(p.stride) + " pad " +
               std::to_string(p.pad) + (p.quantized ? (p.u8 ? " QConv u8" : " QConv s8") : " Conv") +
               (p.bias ? " bias" : ""));
  const Tensor x = Random({p.b, p.h * p.w, p.c}, seed);
  for (bool ref_only : {true, false}) {
    const SessionRun want = RunModel(LocalConvModel(p, seed), x, ref_only, false);
    ASSERT_TRUE(want.y.defined());
    EXPECT_EQ(want.kernel_of_op.count("DepthwiseConvNhwc"), 0u);
    SessionRun got = RunModel(LocalConvModel(p, seed), x, ref_only, true);
    ASSERT_TRUE(got.y.defined());
    EXPECT_EQ(got.kernel_of_op.count("Transpose"), 0u) << "the transposes were left";
    const std::string kernel = got.kernel_of_op["DepthwiseConvNhwc"];
    EXPECT_EQ(kernel, ref_only ? "ref.DepthwiseConvNhwc"
                               : (p.quantized ? "fast.qdepthwise_nhwc_x8_qdq_f32" : "fast.DepthwiseConvNhwc"));
    ASSERT_EQ(got.y.shape(), want.y.shape());
    EXPECT_EQ(CountDiffering(want.y, got.y), 0) << kernel << " vs the subgraph on " << want.kernel_of_op.at(
                                                                                                 p.quantized ? "QConv" : "Conv");
  }
}

TEST(ChannelsLastDepthwiseFusion, FloatMatchesTheSubgraph) {
  ExpectFusedMatchesSubgraph({}, 1);
  LocalConv tinyvit;  // MobileSAM stage-1 shape, shrunk: C a multiple of 16, 3x3 pad 1
  tinyvit.h = tinyvit.w = 14;
  tinyvit.c = 32;
  ExpectFusedMatchesSubgraph(tinyvit, 2);
  LocalConv odd;  // channels off the vector width, batch 2, no bias, 5x5, stride 2, odd sizes
  odd.b = 2;
  odd.h = 9;
  odd.w = 11;
  odd.c = 20;
  odd.k = 5;
  odd.stride = 2;
  odd.pad = 2;
  odd.bias = false;
  ExpectFusedMatchesSubgraph(odd, 3);
  LocalConv unpadded;
  unpadded.pad = 0;
  unpadded.c = 17;
  ExpectFusedMatchesSubgraph(unpadded, 4);
}

TEST(ChannelsLastDepthwiseFusion, QuantizedMatchesTheSubgraph) {
  LocalConv q;
  q.quantized = true;
  q.h = q.w = 14;
  q.c = 32;
  ExpectFusedMatchesSubgraph(q, 5);
  q.u8 = false;
  q.bias = false;
  q.c = 24;
  q.h = 7;
  ExpectFusedMatchesSubgraph(q, 6);
}

TEST(ChannelsLastDepthwiseFusion, NearMissesStayUnfused) {
  LocalConv grouped;  // two channels per group: not depthwise
  grouped.group = 8;
  LocalConv other_perm;
  other_perm.b = 2;
  other_perm.back_perm = {1, 2, 0};
  for (const LocalConv& p : {grouped, other_perm}) {
    const Tensor x = Random({p.b, p.h * p.w, p.c}, 7);
    const SessionRun want = RunModel(LocalConvModel(p, 7), x, true, false);
    const SessionRun got = RunModel(LocalConvModel(p, 7), x, false, true);
    EXPECT_EQ(got.kernel_of_op.count("DepthwiseConvNhwc"), 0u);
    ExpectClose(want.y, got.y, 1e-5, "unfused near miss");
  }
  // The NCHW image is also a graph output: it must still be written.
  ir::Model m = LocalConvModel({}, 8);
  m.graph.outputs.push_back(FloatValueAnyShape("image"));
  const SessionRun got = RunModel(std::move(m), Random({1, 64, 16}, 8), false, true);
  EXPECT_EQ(got.kernel_of_op.count("DepthwiseConvNhwc"), 0u);
}

TEST(ChannelsLastDepthwiseFusion, MismatchedChannelsAreAUserError) {
  ir::Model m;
  m.opsets = {{"", 17}, {"com.samq", 1}};
  m.graph.name = "bad_depthwise";
  m.graph.inputs = {FloatValue("x", {1, 4, 4, 8})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  m.graph.initializers["w"] = Random({6, 1, 3, 3}, 9);
  m.graph.nodes = {ir::Node{"dw", "DepthwiseConvNhwc", "com.samq", {"x", "w"}, {"y"},
                            {AttrInts("pads", {1, 1, 1, 1}), AttrInts("strides", {1, 1})}, ""}};
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("channels"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace samq::testing::linalg
