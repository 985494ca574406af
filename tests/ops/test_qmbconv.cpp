// com.samq QMBConv (src/backends/cpu/qmbconv.h) on seeded random operands that also saturate
// the requantized ranges:
//   - ref.QMBConv is exactly its three stages run as separate ref.QConvGelu / ref.QConv nodes,
//     then the float32 Add and ref.Gelu (the unfused graph on the reference kernels);
//   - fast.QMBConv computes the same bits as the stages on the unfused fast kernels
//     (onednn.qconv1x1_nchw_*, fast.qconv_dw_*, fast.Add, fast.Gelu), whose float operations
//     it repeats in the same order;
//   - against ref.QMBConv it differs by float summation order only, which can move a requantized
//     intermediate across a rounding midpoint: such flips stay rare and small.
// TinyViT's residual block, the stride-2 PatchMerging form, u8 and s8 activations, no biases,
// 5x5, batches, bands of several steps, on 1 and 2 threads.
#include "backends/cpu/onednn_int8_util.h"
#include "core/parallel.h"
#include "linalg_test_util.h"
#include "qconv_test_stage.h"

namespace samq::testing::linalg {
namespace {

struct Block {
  int64_t n = 1, c = 8, h = 13, w = 11, e = 32, m = 8, k = 3, stride = 1;
  std::vector<int64_t> pads{1, 1, 1, 1};
  bool residual = true, gelu_out = true, biases = true, u8 = true;
};

int64_t OutSide(const Block& b, int64_t in, int64_t pb, int64_t pe) { return (in + pb + pe - b.k) / b.stride + 1; }

struct Operands {
  Tensor x, r;
  Stage st[3];
  // The QMBConv input list (null: an omitted bias or residual).
  std::vector<const Tensor*> list(bool residual) const {
    std::vector<const Tensor*> v{&x};
    for (const Stage& s : st)
      for (const Tensor* t : {&s.sx, &s.zp, &s.w, &s.ws, &s.b}) v.push_back(t->defined() ? t : nullptr);
    if (residual) v.push_back(&r);
    return v;
  }
  std::vector<const Tensor*> stage(int i, const Tensor& in) const {
    std::vector<const Tensor*> v{&in, &st[i].sx, &st[i].zp, &st[i].w, &st[i].ws};
    if (st[i].b.defined()) v.push_back(&st[i].b);
    return v;
  }
};

Operands MakeOperands(const Block& b, uint32_t seed) {
  Operands o;
  o.x = Random({b.n, b.c, b.h, b.w}, seed++, 1.2f);
  // Ranges a little narrower than the values so the extremes saturate; zero points off-centre.
  o.st[0] = MakeStage({b.e, b.c, 1, 1}, 3.0f, b.u8 ? 131 : -2, b.u8, b.biases, seed += 2);
  o.st[1] = MakeStage({b.e, 1, b.k, b.k}, 2.5f, b.u8 ? 12 : -100, b.u8, b.biases, seed += 2);
  o.st[2] = MakeStage({b.m, b.e, 1, 1}, 2.0f, b.u8 ? 9 : -110, b.u8, b.biases, seed += 2);
  o.r = Random({b.n, b.m, OutSide(b, b.h, b.pads[0], b.pads[2]), OutSide(b, b.w, b.pads[1], b.pads[3])}, seed, 1.0f);
  return o;
}

ir::Node QMBConvNode(const Block& b) {
  ir::Node n = MakeNode("QMBConv", b.residual ? 17 : 16,
                        {AttrInts("strides", {b.stride, b.stride}), AttrInts("pads", b.pads),
                         AttrS("activation", b.gelu_out ? "gelu" : "none")});
  n.domain = "com.samq";
  return n;
}

ir::Node StageNode(const Block& b, int stage, bool gelu, bool bias) {
  std::vector<ir::Attribute> attrs;
  if (stage == 1) attrs = {AttrInts("strides", {b.stride, b.stride}), AttrInts("pads", b.pads), AttrI("group", b.e)};
  ir::Node n = MakeNode(gelu ? "QConvGelu" : "QConv", bias ? 6 : 5, attrs);
  n.domain = "com.samq";
  return n;
}

// The block as separate nodes, each on the named kernel ("" = default choice): the stages, then
// Add and Gelu when the block has a residual.
Tensor Unfused(const Block& b, const Operands& o, const std::string kernels[5]) {
  const bool project_gelu = b.gelu_out && !b.residual;
  const Tensor t = Eval1(StageNode(b, 0, true, b.biases), o.stage(0, o.x), kernels[0]);
  const Tensor d = Eval1(StageNode(b, 1, true, b.biases), o.stage(1, t), kernels[1]);
  Tensor z = Eval1(StageNode(b, 2, project_gelu, b.biases), o.stage(2, d), kernels[2]);
  if (!b.residual) return z;
  z = Eval1(MakeNode("Add", 2), {&z, &o.r}, kernels[3]);
  if (!b.gelu_out) return z;
  ir::Node gelu = MakeNode("Gelu", 1);
  gelu.domain = "com.samq";
  return Eval1(gelu, {&z}, kernels[4]);
}

// Elements of `got` off `want` by more than float noise must be rare (at most 1 in 50) and each
// at most a few requantization steps of the project stage's input.
void ExpectRareFlips(const Block& b, const Operands& o, const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_EQ(want.shape(), got.shape()) << what;
  double scale = 1;
  for (double v : want.AsDoubleVector()) scale = std::max(scale, std::fabs(v));
  // One code of D moves Z[m] by s3 * sw3[m] * |w3|; allow three such steps at the largest weight.
  double step = 0;
  for (int64_t m = 0; m < b.m; ++m) step = std::max(step, static_cast<double>(o.st[2].ws.data<float>()[m]) * 127);
  step *= o.st[2].sx.data<float>()[0];
  int64_t off = 0;
  double worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double e = std::fabs(static_cast<double>(want.data<float>()[i]) - got.data<float>()[i]);
    worst = std::max(worst, e);
    off += e > 2e-5 * scale;
  }
  EXPECT_LE(off, want.numel() / 50) << what << ": " << off << " of " << want.numel() << " differ";
  EXPECT_LE(worst, 3 * step + 2e-5 * scale) << what;
}

void ExpectFastMatches(const Block& b, const std::string& what) {
  if (!backends::onednn::HasExactInt8Gemm()) GTEST_SKIP() << "fast.QMBConv needs VNNI or AMX";
  const Operands o = MakeOperands(b, 11);
  const ir::Node node = QMBConvNode(b);
  const auto ins = o.list(b.residual);
  const Tensor want = Eval1(node, ins, "ref.QMBConv");
  ASSERT_TRUE(want.defined()) << what;
  const std::string ref_kernels[5] = {"ref.QConvGelu", "ref.QConvGelu", b.gelu_out && !b.residual ? "ref.QConvGelu" : "ref.QConv",
                                      "ref.Add", "ref.Gelu"};
  ExpectClose(Unfused(b, o, ref_kernels), want, 0, what + ": ref.QMBConv vs the unfused reference nodes");
  const std::string fast_kernels[5] = {
      "onednn.qconv1x1_nchw_x8s8_gemm_gelu", "fast.qconv_dw_x8s8_qdq_f32_gelu",
      b.gelu_out && !b.residual ? "onednn.qconv1x1_nchw_x8s8_gemm_gelu" : "onednn.qconv1x1_nchw_x8s8_gemm", "fast.Add",
      "fast.Gelu"};
  const Tensor unfused_fast = Unfused(b, o, fast_kernels);
  const int saved = num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const std::string at = what + ", " + std::to_string(threads) + " thread(s)";
    const Tensor got = Eval1(node, ins, "fast.QMBConv");
    ExpectClose(unfused_fast, got, 0, at + ": fast.QMBConv vs the unfused fast kernels");
    ExpectRareFlips(b, o, want, got, at + ": fast.QMBConv vs ref.QMBConv");
  }
  set_num_threads(saved);
}

TEST(QMBConv, ResidualBlockMatchesReference) {
  ExpectFastMatches(Block{}, "TinyViT block, u8");
  Block s8;
  s8.u8 = false;
  s8.n = 2;
  s8.h = 7;
  s8.w = 5;
  ExpectFastMatches(s8, "s8 activations, batch 2, 7 x 5");
  Block no_bias;
  no_bias.biases = false;
  no_bias.gelu_out = false;
  ExpectFastMatches(no_bias, "no biases, residual without the last GELU");
}

TEST(QMBConv, ManyStepsPerBandMatchReference) {
  Block wide;
  wide.c = wide.m = 16;
  wide.e = 256;
  wide.h = 64;
  wide.w = 64;
  ExpectFastMatches(wide, "stride 1, several steps per band");
  Block merge;
  merge.c = 16;
  merge.e = merge.m = 128;
  merge.h = 70;
  merge.w = 96;
  merge.stride = 2;
  merge.residual = false;
  ExpectFastMatches(merge, "stride 2 (PatchMerging), project GELU, several steps per band");
}

TEST(QMBConv, StridesKernelsAndPads) {
  Block s2;
  s2.stride = 2;
  s2.m = 12;
  s2.residual = s2.gelu_out = false;
  ExpectFastMatches(s2, "stride 2, 13 x 11, no activation");
  Block k5;
  k5.k = 5;
  k5.pads = {2, 2, 2, 2};
  ExpectFastMatches(k5, "5x5");
  Block uneven;
  uneven.residual = false;
  uneven.pads = {0, 1, 2, 0};
  ExpectFastMatches(uneven, "uneven pads");
}

TEST(QMBConv, DeclinesWhatItCannotTakeAndReportsOperandErrors) {
  Block k4;
  k4.k = 4;
  k4.pads = {1, 1, 2, 2};
  k4.residual = false;
  const Operands o4 = MakeOperands(k4, 5);
  const auto ins4 = o4.list(false);
  EXPECT_NE(DeclineReason(QMBConvNode(k4), ins4, std::vector<bool>(ins4.size(), true), "fast.QMBConv"), "");
  // The default choice still computes it (on ref.QMBConv).
  ExpectClose(Eval1(QMBConvNode(k4), ins4, "ref.QMBConv"), Eval1(QMBConvNode(k4), ins4), 0, "4x4 on the default");

  Block b;
  Operands o = MakeOperands(b, 9);
  o.r = Random({1, b.m, 5, 5}, 1);  // residual of the wrong shape
  for (const char* kernel : {"ref.QMBConv", "fast.QMBConv"}) {
    if (std::string(kernel) == "fast.QMBConv" && !backends::onednn::HasExactInt8Gemm()) continue;
    auto r = Eval(QMBConvNode(b), o.list(true), kernel);
    ASSERT_FALSE(r.ok()) << kernel;
    EXPECT_NE(r.status().message().find("residual"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace samq::testing::linalg
