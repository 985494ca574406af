// com.samq MBConv (src/backends/cpu/mbconv.h): fast.MBConv, which computes the block in bands of
// output rows, matches ref.MBConv (the three convolutions in double) on seeded random operands:
// TinyViT's residual block and its stride-2 PatchMerging form, a 5x5 kernel, the tanh GELU,
// batches, odd sizes and uneven pads, on 1 and 2 threads. Shapes wide enough that a band takes
// several steps exercise the kept overlap rows. ref.MBConv itself is checked against the unfused
// ONNX convolutions in tests/models/test_mbconv_fusion.cpp.
#include "backends/cpu/mbconv.h"
#include "core/parallel.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

// float32 GEMMs against the double reference, relative to the largest output.
constexpr double kRtol = 2e-5;

struct Block {
  int64_t n = 1, c = 8, h = 13, w = 11, e = 32, m = 8, k = 3, stride = 1;
  std::vector<int64_t> pads{1, 1, 1, 1};
  bool residual = true, gelu_out = true, tanh_form = false;
};

ir::Node MBConvNode(const Block& b) {
  std::vector<ir::Attribute> attrs{AttrInts("strides", {b.stride, b.stride}), AttrInts("pads", b.pads),
                                   AttrS("activation", b.gelu_out ? "gelu" : "none")};
  if (b.tanh_form) attrs.push_back(AttrS("approximate", "tanh"));
  ir::Node n = MakeNode("MBConv", b.residual ? 8 : 7, attrs);
  n.domain = "com.samq";
  return n;
}

std::vector<Tensor> Operands(const Block& b, uint32_t seed) {
  std::vector<Tensor> t;
  const int64_t oh = (b.h + b.pads[0] + b.pads[2] - b.k) / b.stride + 1;
  const int64_t ow = (b.w + b.pads[1] + b.pads[3] - b.k) / b.stride + 1;
  t.push_back(Random({b.n, b.c, b.h, b.w}, seed++));
  t.push_back(Random({b.e, b.c, 1, 1}, seed++, 1.0f / std::sqrt(static_cast<float>(b.c))));
  t.push_back(Random({b.e}, seed++, 0.5f));
  t.push_back(Random({b.e, 1, b.k, b.k}, seed++, 1.0f / static_cast<float>(b.k)));
  t.push_back(Random({b.e}, seed++, 0.5f));
  t.push_back(Random({b.m, b.e, 1, 1}, seed++, 1.0f / std::sqrt(static_cast<float>(b.e))));
  t.push_back(Random({b.m}, seed++, 0.5f));
  if (b.residual) t.push_back(Random({b.n, b.m, oh, ow}, seed++));
  return t;
}

void ExpectFastMatchesReference(const Block& b, const std::string& what) {
  const std::vector<Tensor> ops = Operands(b, 3);
  std::vector<const Tensor*> ptrs;
  for (const auto& t : ops) ptrs.push_back(&t);
  const ir::Node node = MBConvNode(b);
  const Tensor want = Eval1(node, ptrs, "ref.MBConv");
  ASSERT_TRUE(want.defined()) << what;
  const int saved = num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    ExpectClose(want, Eval1(node, ptrs, "fast.MBConv"), kRtol, what + ", " + std::to_string(threads) + " thread(s)");
  }
  set_num_threads(saved);
}

TEST(MBConv, ResidualBlockMatchesReference) {
  ExpectFastMatchesReference(Block{}, "TinyViT block, small");
  Block odd;
  odd.h = 7;
  odd.w = 5;
  odd.n = 2;
  ExpectFastMatchesReference(odd, "batch 2, 7 x 5");
  Block tanh_block;
  tanh_block.tanh_form = true;
  ExpectFastMatchesReference(tanh_block, "tanh GELU");
  Block no_gelu;
  no_gelu.gelu_out = false;
  ExpectFastMatchesReference(no_gelu, "residual without the last GELU (EfficientViT)");
}

// 256 expanded channels at 64 (96) columns: a step is a handful of rows, so each band of the
// 64-row output takes several steps and carries the window overlap from one step to the next.
TEST(MBConv, ManyStepsPerBandMatchReference) {
  Block wide;
  wide.c = wide.m = 16;
  wide.e = 256;
  wide.h = 64;
  wide.w = 64;
  ExpectFastMatchesReference(wide, "stride 1, several steps per band");
  Block merge;
  merge.c = 16;
  merge.e = merge.m = 256;
  merge.h = 70;
  merge.w = 96;
  merge.stride = 2;
  merge.residual = merge.gelu_out = false;
  ExpectFastMatchesReference(merge, "stride 2 (PatchMerging), several steps per band");
}

TEST(MBConv, StridesKernelsAndPads) {
  Block s2;
  s2.stride = 2;
  s2.m = 12;
  s2.residual = s2.gelu_out = false;
  ExpectFastMatchesReference(s2, "stride 2, 13 x 11");
  Block k5;
  k5.k = 5;
  k5.pads = {2, 2, 2, 2};
  ExpectFastMatchesReference(k5, "5x5");
  Block uneven;
  uneven.residual = uneven.gelu_out = false;
  uneven.pads = {0, 1, 2, 0};
  ExpectFastMatchesReference(uneven, "uneven pads");
  Block k7s2;
  k7s2.k = 7;
  k7s2.stride = 2;
  k7s2.pads = {3, 3, 3, 3};
  k7s2.residual = false;
  ExpectFastMatchesReference(k7s2, "7x7 stride 2");
}

TEST(MBConv, KernelSizesItCannotTakeRunOnTheReference) {
  Block k4;
  k4.k = 4;
  k4.pads = {1, 1, 2, 2};
  k4.residual = false;
  const std::vector<Tensor> ops = Operands(k4, 5);
  std::vector<const Tensor*> ptrs;
  for (const auto& t : ops) ptrs.push_back(&t);
  EXPECT_NE(DeclineReason(MBConvNode(k4), ptrs, std::vector<bool>(ptrs.size(), true), "fast.MBConv"), "");
  // The default choice still computes it (on ref.MBConv).
  ExpectClose(Eval1(MBConvNode(k4), ptrs, "ref.MBConv"), Eval1(MBConvNode(k4), ptrs), 1e-6, "4x4 on the default");
}

TEST(MBConv, OperandErrorsAreReported) {
  Block b;
  std::vector<Tensor> ops = Operands(b, 9);
  ops[7] = Random({1, b.m, 5, 5}, 1);  // residual of the wrong shape
  std::vector<const Tensor*> ptrs;
  for (const auto& t : ops) ptrs.push_back(&t);
  for (const char* kernel : {"ref.MBConv", "fast.MBConv"}) {
    auto r = Eval(MBConvNode(b), ptrs, kernel);
    ASSERT_FALSE(r.ok()) << kernel;
    EXPECT_NE(r.status().message().find("residual"), std::string::npos) << r.status().message();
  }
  ops = Operands(b, 9);
  ops[3] = Random({b.e + 1, 1, 3, 3}, 2);  // depthwise weight with the wrong channel count
  ptrs.clear();
  for (const auto& t : ops) ptrs.push_back(&t);
  auto r = Eval(MBConvNode(b), ptrs, "ref.MBConv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("depthwise"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace samq::testing::linalg
