// com.samq ConvGelu (src/backends/cpu/conv_gelu.h): ref.ConvGelu is exactly ref.Gelu(ref.Conv),
// and the fused kernels (fast.DepthwiseConvGelu, onednn.pointwise_conv_gelu_f32, onednn.conv_gelu_f32
// with its post-op and its pointwise after-pass) match ref.ConvGelu on seeded random inputs.
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

// As test_conv.cpp's oneDNN tolerance: float32 accumulation (and fastmath::Erf, 5e-7 absolute)
// against the float64 references, relative to the output's largest magnitude.
constexpr double kRtol = 1e-4;

ir::Node ConvGeluNode(int64_t k, int64_t s, int64_t pad, int64_t group, bool bias) {
  ir::Node n = MakeNode("ConvGelu", bias ? 3 : 2,
                        {AttrInts("kernel_shape", {k, k}), AttrInts("strides", {s, s}),
                         AttrInts("pads", {pad, pad, pad, pad}), AttrI("group", group)});
  n.domain = "com.samq";
  return n;
}

struct Case {
  Shape x;
  int64_t m, k, s, pad, group;
  bool bias;
  const char* kernel;
};

TEST(ConvGelu, ReferenceIsGeluOfConv) {
  Tensor x = Random({1, 4, 7, 9}, 1), w = Random({6, 4, 3, 3}, 2), b = Random({6}, 3);
  ir::Node fused = ConvGeluNode(3, 1, 1, 1, true);
  ir::Node conv = fused;
  conv.domain.clear();
  conv.op_type = "Conv";
  const Tensor c = Eval1(conv, {&x, &w, &b}, "ref.Conv");
  ir::Node gelu = MakeNode("Gelu", 1);
  gelu.domain = "com.samq";
  ExpectClose(Eval1(gelu, {&c}, "ref.Gelu"), Eval1(fused, {&x, &w, &b}, "ref.ConvGelu"), 0, "ref");
}

TEST(ConvGelu, FusedKernelsMatchReference) {
  const std::vector<Case> cases = {
      {{1, 8, 13, 11}, 16, 1, 1, 0, 1, true, "onednn.pointwise_conv_gelu_f32"},  // matmul + post-ops
      {{2, 6, 9, 10}, 12, 1, 1, 0, 1, false, "onednn.pointwise_conv_gelu_f32"},
      {{1, 64, 32, 32}, 256, 1, 1, 0, 1, true, "onednn.pointwise_conv_gelu_f32"},  // MobileSAM conv1 channels
      {{1, 8, 13, 11}, 16, 1, 1, 0, 1, true, "onednn.conv_gelu_f32"},    // pointwise: GELU after-pass
      {{2, 6, 9, 10}, 12, 1, 1, 0, 1, false, "onednn.conv_gelu_f32"},
      {{1, 3, 33, 31}, 16, 3, 2, 1, 1, true, "onednn.conv_gelu_f32"},    // patch-embed style: post-op
      {{1, 8, 12, 12}, 8, 3, 1, 1, 1, false, "onednn.conv_gelu_f32"},
      {{1, 16, 19, 17}, 16, 3, 1, 1, 16, true, "fast.DepthwiseConvGelu"},
      {{2, 5, 12, 13}, 5, 3, 2, 1, 5, false, "fast.DepthwiseConvGelu"},
      {{1, 7, 10, 10}, 7, 5, 1, 2, 7, true, "fast.DepthwiseConvGelu"}};
  uint32_t seed = 50;
  for (const Case& c : cases) {
    Tensor x = Random(c.x, seed++), w = Random({c.m, c.x[1] / c.group, c.k, c.k}, seed++, 0.3f);
    Tensor b = Random({c.m}, seed++);
    std::vector<const Tensor*> in = {&x, &w};
    if (c.bias) in.push_back(&b);
    ir::Node node = ConvGeluNode(c.k, c.s, c.pad, c.group, c.bias);
    auto got = RunKernelOnShapes(node, c.kernel, {in}, {false, true, true});
    ASSERT_EQ(got.size(), 1u) << c.kernel;
    ExpectClose(Eval1(node, in, "ref.ConvGelu"), got[0], kRtol, std::string(c.kernel) + " " + shape_str(c.x));
  }
}

}  // namespace
}  // namespace samq::testing::linalg
