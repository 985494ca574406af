// fast.DepthwiseConv (src/backends/cpu/fast_depthwise_conv.cpp) against ref.Conv: kernel sizes
// 3/5/7, strides 1/2, symmetric, asymmetric, zero and auto pads, planes narrower than the
// kernel, batches, no bias, the MobileSAM layer shapes, and the cases it must decline.
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

// Same tolerance as the oneDNN conv tests (test_conv.cpp): the reference accumulates in float64,
// the fast kernel in float32 over K*K <= 49 terms.
constexpr double kRtol = 1e-5;

ir::Node DwNode(int64_t c, int64_t k, int64_t s, std::vector<int64_t> pads, bool bias) {
  std::vector<ir::Attribute> attrs = {AttrI("group", c), AttrInts("strides", {s, s}),
                                      AttrInts("kernel_shape", {k, k})};
  if (!pads.empty()) attrs.push_back(AttrInts("pads", std::move(pads)));
  return MakeNode("Conv", bias ? 3 : 2, std::move(attrs));
}

void ExpectMatchesRef(const ir::Node& node, const Shape& x_shape, int64_t k, uint32_t seed,
                      const std::string& what) {
  const int64_t c = x_shape[1];
  Tensor x = Random(x_shape, seed), w = Random({c, 1, k, k}, seed + 1), b = Random({c}, seed + 2);
  std::vector<const Tensor*> in = {&x, &w};
  if (node.inputs.size() == 3) in.push_back(&b);
  // Weights treated as run-time values (not constants): the kernel reads them each run.
  auto fast = RunKernelOnShapes(node, "fast.DepthwiseConv", {in}, {false, false, false});
  ASSERT_EQ(fast.size(), 1u) << what;
  ExpectClose(Eval1(node, in, "ref.Conv"), fast[0], kRtol, what);
}

TEST(FastDepthwiseConv, MatchesReferenceOverKernelsStridesPads) {
  uint32_t seed = 700;
  for (int64_t k : {3, 5, 7})
    for (int64_t s : {1, 2})
      for (const std::vector<int64_t>& pads :
           std::vector<std::vector<int64_t>>{{}, {k / 2, k / 2, k / 2, k / 2}, {0, 1, 2, 0}, {k - 1, 0, 0, k - 1}})
        for (const Shape& x : std::vector<Shape>{{1, 5, 13, 17}, {2, 3, 8, 9}, {1, 4, 7, 3}, {1, 2, 20, 1}}) {
          const int64_t ph = pads.empty() ? 0 : pads[0] + pads[2], pw = pads.empty() ? 0 : pads[1] + pads[3];
          if (x[2] + ph < k || x[3] + pw < k) continue;  // window larger than the padded input
          const std::string what = "k" + std::to_string(k) + " s" + std::to_string(s) + " pads " +
                                   std::to_string(pads.size()) + " x " + shape_str(x);
          for (bool bias : {true, false}) ExpectMatchesRef(DwNode(x[1], k, s, pads, bias), x, k, seed++, what);
        }
}

TEST(FastDepthwiseConv, AutoPad) {
  uint32_t seed = 800;
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER", "VALID"})
    for (int64_t s : {1, 2}) {
      ir::Node n = DwNode(6, 3, s, {}, true);
      n.set_attr(AttrS("auto_pad", ap));
      ExpectMatchesRef(n, {1, 6, 10, 11}, 3, seed++, std::string(ap) + " s" + std::to_string(s));
    }
}

// MobileSAM's depthwise layers (TinyViT MBConv conv2, PatchMerging conv2, the local convs).
TEST(FastDepthwiseConv, MobileSamLayerShapes) {
  struct Layer { Shape x; int64_t s; };
  uint32_t seed = 900;
  for (const Layer& l : std::vector<Layer>{{{1, 256, 256, 256}, 1}, {{1, 128, 256, 256}, 2},
                                           {{1, 160, 64, 64}, 1}, {{1, 320, 64, 64}, 1}})
    ExpectMatchesRef(DwNode(l.x[1], 3, l.s, {1, 1, 1, 1}, true), l.x, 3, seed++, shape_str(l.x));
}

TEST(FastDepthwiseConv, DeclinesWhatItWasNotBuiltFor) {
  Tensor x = Random({1, 4, 8, 8}, 1), w = Random({4, 1, 3, 3}, 2), w4 = Random({4, 1, 4, 4}, 3);
  Tensor full = Random({4, 4, 3, 3}, 4), w2 = Random({8, 1, 3, 3}, 5);
  EXPECT_EQ(DeclineReason(MakeNode("Conv", 2), {&x, &full}, {false, true}, "fast.DepthwiseConv"),
            "not depthwise (group = C = M)");
  EXPECT_EQ(DeclineReason(DwNode(8, 3, 1, {}, false), {&x, &w2}, {false, true}, "fast.DepthwiseConv"),
            "input channels differ from group");
  EXPECT_EQ(DeclineReason(DwNode(4, 4, 1, {}, false), {&x, &w4}, {false, true}, "fast.DepthwiseConv"),
            "kernel size other than 3, 5 or 7");
  ir::Node dil = DwNode(4, 3, 1, {}, false);
  dil.set_attr(AttrInts("dilations", {2, 2}));
  EXPECT_EQ(DeclineReason(dil, {&x, &w}, {false, true}, "fast.DepthwiseConv"), "dilation");
  EXPECT_EQ(DeclineReason(DwNode(4, 3, 3, {}, false), {&x, &w}, {false, true}, "fast.DepthwiseConv"),
            "strides other than 1x1 or 2x2");
  // A plain depthwise 3x3 with pads is accepted (empty reason).
  EXPECT_EQ(DeclineReason(DwNode(4, 3, 1, {1, 1, 1, 1}, false), {&x, &w}, {false, true}, "fast.DepthwiseConv"), "");
}

}  // namespace
}  // namespace samq::testing::linalg
