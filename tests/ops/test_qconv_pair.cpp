// com.samq QConvPair (src/backends/cpu/qconv_pair.h), made by passes::FuseQConvPair from two
// QConv / QConvGelu nodes, on seeded random operands whose ranges saturate:
//   - ref.QConvPair is exactly its two convs run as separate reference nodes;
//   - onednn.qconv_pair computes the same bits as the two unfused oneDNN integer kernels
//     (onednn.qconv_*[_gelu]): the hand-over quantizes the same floats with the same arithmetic,
//     only in NHWC order and without the transposes;
//   - against the reference it differs by float summation order only, which can move a hand-over
//     code across a rounding midpoint: such differences stay rare and small.
// MobileSAM's patch embedding (GELU between two 3x3 stride-2 convs), u8 and s8 codes on either
// side, no biases, a GELU after the second conv, a batch of 2, 1 and 2 threads.
#include "backends/cpu/onednn_kernels.h"
#include "core/parallel.h"
#include "linalg_test_util.h"
#include "passes/fuse_qconv_pair.h"
#include "qconv_test_stage.h"
#include "support/graph_builders.h"

namespace samq::testing::linalg {
namespace {

struct Pair {
  int64_t n = 1, c = 3, h = 21, w = 17, m1 = 16, m2 = 24;
  bool first_gelu = true, second_gelu = false, biases = true, u8_first = true, u8_second = true;
};

struct Operands {
  Tensor x;
  Stage st[2];
  std::vector<const Tensor*> list() const {
    std::vector<const Tensor*> v{&x};
    for (const Stage& s : st)
      for (const Tensor* t : {&s.sx, &s.zp, &s.w, &s.ws, &s.b}) v.push_back(t->defined() ? t : nullptr);
    if (!st[1].b.defined()) v.pop_back();  // the second bias is the last, optional input
    return v;
  }
  std::vector<const Tensor*> stage(int i, const Tensor& in) const {
    std::vector<const Tensor*> v{&in, &st[i].sx, &st[i].zp, &st[i].w, &st[i].ws};
    if (st[i].b.defined()) v.push_back(&st[i].b);
    return v;
  }
};

Operands MakeOperands(const Pair& p, uint32_t seed) {
  Operands o;
  o.x = Random({p.n, p.c, p.h, p.w}, seed++, 1.2f);
  o.st[0] = MakeStage({p.m1, p.c, 3, 3}, 2.5f, p.u8_first ? 120 : -3, p.u8_first, p.biases, seed += 2);
  o.st[1] = MakeStage({p.m2, p.m1, 3, 3}, 2.0f, p.u8_second ? 14 : -90, p.u8_second, p.biases, seed += 2);
  return o;
}

ir::Node StageNode(int stage, bool gelu, bool bias) {
  ir::Node n = MakeNode(gelu ? "QConvGelu" : "QConv", bias ? 6 : 5,
                        {AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, stage == 0 ? 0 : 1})});
  n.domain = "com.samq";
  n.name = stage == 0 ? "first" : "second";
  return n;
}

// The fused node as the pass makes it from the two stage nodes.
ir::Node PairNode(const Pair& p, const Operands& o) {
  ir::Graph g;
  g.inputs = {FloatValueAnyShape("x")};
  g.outputs = {FloatValueAnyShape("y")};
  ir::Node first = StageNode(0, p.first_gelu, p.biases), second = StageNode(1, p.second_gelu, p.biases);
  first.inputs = {"x", "s1", "z1", "w1", "ws1"};
  second.inputs = {"h", "s2", "z2", "w2", "ws2"};
  if (p.biases) {
    first.inputs.push_back("b1");
    second.inputs.push_back("b2");
    g.initializers["b1"] = o.st[0].b;
    g.initializers["b2"] = o.st[1].b;
  }
  first.outputs = {"h"};
  second.outputs = {"y"};
  const char* names[2][4] = {{"s1", "z1", "w1", "ws1"}, {"s2", "z2", "w2", "ws2"}};
  for (int s = 0; s < 2; ++s) {
    const Tensor* t[4] = {&o.st[s].sx, &o.st[s].zp, &o.st[s].w, &o.st[s].ws};
    for (int i = 0; i < 4; ++i) g.initializers[names[s][i]] = *t[i];
  }
  g.nodes = {first, second};
  EXPECT_EQ(passes::FuseQConvPair(g), 1);
  return g.nodes.back();
}

Tensor Unfused(const Pair& p, const Operands& o, const std::string& k1, const std::string& k2) {
  const Tensor h = Eval1(StageNode(0, p.first_gelu, p.biases), o.stage(0, o.x), k1);
  return Eval1(StageNode(1, p.second_gelu, p.biases), o.stage(1, h), k2);
}

std::string RefName(bool gelu) { return gelu ? "ref.QConvGelu" : "ref.QConv"; }
std::string OnednnName(bool u8, bool gelu) { return backends::onednn::OnednnQConvCandidate(u8, gelu).name; }

void ExpectPairMatches(const Pair& p, const std::string& what) {
  const Operands o = MakeOperands(p, 21);
  const ir::Node node = PairNode(p, o);
  const auto ins = o.list();
  const Tensor want = Eval1(node, ins, "ref.QConvPair");
  ASSERT_TRUE(want.defined()) << what;
  ExpectClose(Unfused(p, o, RefName(p.first_gelu), RefName(p.second_gelu)), want, 0,
              what + ": ref.QConvPair vs the two reference nodes");
  const Tensor unfused_fast = Unfused(p, o, OnednnName(p.u8_first, p.first_gelu), OnednnName(p.u8_second, p.second_gelu));
  const int saved = num_threads();
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    const std::string at = what + ", " + std::to_string(threads) + " thread(s)";
    const Tensor got = Eval1(node, ins, "onednn.qconv_pair");
    ExpectClose(unfused_fast, got, 0, at + ": onednn.qconv_pair vs the two oneDNN integer kernels");
    // Against the reference: float summation order may flip a hand-over code by one step, which
    // moves an output by at most a few weight products; such values stay rare.
    ASSERT_EQ(got.shape(), want.shape()) << at;
    int64_t off = 0;
    for (int64_t i = 0; i < want.numel(); ++i) off += std::fabs(got.data<float>()[i] - want.data<float>()[i]) > 1e-4f;
    EXPECT_LE(off, want.numel() / 50) << at << ": " << off << " of " << want.numel() << " differ from the reference";
  }
  set_num_threads(saved);
}

TEST(QConvPair, PatchEmbeddingMatchesTheUnfusedConvs) {
  ExpectPairMatches(Pair{}, "GELU between, u8 codes");
  Pair s8;
  s8.u8_first = false;
  s8.u8_second = false;
  s8.n = 2;
  ExpectPairMatches(s8, "s8 codes, batch 2");
  Pair mixed;
  mixed.u8_second = false;
  mixed.biases = false;
  mixed.second_gelu = true;
  ExpectPairMatches(mixed, "u8 then s8, no biases, GELU after the second");
  Pair plain;
  plain.first_gelu = false;
  plain.u8_first = false;
  ExpectPairMatches(plain, "no GELU between (plain requantization), s8 then u8");
}

TEST(QConvPair, ShapeErrorsAreReportedNotCrashes) {
  Pair p;
  const Operands o = MakeOperands(p, 5);
  const ir::Node node = PairNode(p, o);
  // Second weights whose input channels do not match the first conv's output channels.
  Operands bad = o;
  bad.st[1] = MakeStage({p.m2, p.m1 + 1, 3, 3}, 2.0f, 14, true, true, 9);
  for (const char* kernel : {"ref.QConvPair", "onednn.qconv_pair"}) {
    auto r = Eval(node, bad.list(), kernel);
    ASSERT_FALSE(r.ok()) << kernel;
    EXPECT_NE(r.status().message().find("second conv"), std::string::npos) << r.status().message();
  }
  // The second conv's weights left out.
  std::vector<const Tensor*> missing = o.list();
  missing[8] = nullptr;
  auto r = Eval(node, missing, "ref.QConvPair");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("input 8 (second conv's weights) is missing"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace samq::testing::linalg
