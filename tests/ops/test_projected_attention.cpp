// com.samq ProjectedAttention (src/backends/cpu/projected_attention.h): fast.ProjectedAttention,
// in each of its three associations, matches ref.ProjectedAttention (the plain order in double)
// on seeded random operands, with batch broadcasting both ways and several token counts on one
// kernel object (the decoder's shapes change per prompt). ref.ProjectedAttention itself is checked
// against the unfused ONNX subgraph in tests/models/test_projected_attention_fusion.cpp.
#include "backends/cpu/projected_attention.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

using backends::fast::AttentionOrder;

// float32 products (re-associated) against the double reference, relative to the largest output.
constexpr double kRtol = 2e-5;

struct Sizes {
  int64_t bq = 1, bk = 1, nq = 3, nk = 200, cq = 32, ck = 32, cv = 24, c = 16, co = 40, heads = 4;
  float scale = 0.5f;
};

ir::Node AttentionNode(const Sizes& s) {
  ir::Node n = MakeNode("ProjectedAttention", 11, {AttrI("heads", s.heads), AttrF("scale", s.scale)});
  n.domain = "com.samq";
  return n;
}

struct Operands {
  std::vector<Tensor> t;
  std::vector<const Tensor*> ptrs() const {
    std::vector<const Tensor*> p;
    for (const auto& x : t) p.push_back(&x);
    return p;
  }
};

Operands MakeOperands(const Sizes& s, uint32_t seed) {
  auto w = [&](int64_t in, int64_t out) { return Random({in, out}, seed++, 1.0f / std::sqrt(static_cast<float>(in))); };
  Operands o;
  o.t.push_back(Random({s.bq, s.nq, s.cq}, seed++));
  o.t.push_back(Random({s.bk, s.nk, s.ck}, seed++));
  o.t.push_back(Random({s.bk, s.nk, s.cv}, seed++));
  o.t.push_back(w(s.cq, s.c));
  o.t.push_back(Random({s.c}, seed++));
  o.t.push_back(w(s.ck, s.c));
  o.t.push_back(Random({1, s.c}, seed++));  // a bias of another shape but one value per column
  o.t.push_back(w(s.cv, s.c));
  o.t.push_back(Random({s.c}, seed++));
  o.t.push_back(w(s.c, s.co));
  o.t.push_back(Random({s.co}, seed++));
  return o;
}

backends::fast::ProjectedAttentionDims DimsOf(const Sizes& s) {
  backends::fast::ProjectedAttentionDims d;
  d.batch = std::max(s.bq, s.bk);
  d.bq = s.bq;
  d.bk = s.bk;
  d.nq = s.nq;
  d.nk = s.nk;
  d.cq = s.cq;
  d.ck = s.ck;
  d.cv = s.cv;
  d.c = s.c;
  d.co = s.co;
  d.heads = s.heads;
  d.d = s.c / s.heads;
  d.scale = s.scale;
  return d;
}

void ExpectFastMatchesReference(const Sizes& s, AttentionOrder want_order, const std::string& what) {
  ASSERT_EQ(backends::fast::ChooseAttentionOrder(DimsOf(s)), want_order) << what;
  const Operands o = MakeOperands(s, 7);
  const ir::Node node = AttentionNode(s);
  const Tensor want = Eval1(node, o.ptrs(), "ref.ProjectedAttention");
  ASSERT_EQ(want.shape(), (Shape{std::max(s.bq, s.bk), s.nq, s.co})) << what;
  ExpectClose(want, Eval1(node, o.ptrs(), "fast.ProjectedAttention"), kRtol, what);
}

TEST(ProjectedAttention, FewQueriesMatchesReference) {
  Sizes s;  // a decoder's token-to-image attention: 3 tokens, 200 image tokens
  ExpectFastMatchesReference(s, AttentionOrder::kFewQueries, "few queries");
  s.bq = 2;  // two prompts on one image
  ExpectFastMatchesReference(s, AttentionOrder::kFewQueries, "few queries, XQ batch 2");
}

TEST(ProjectedAttention, FewKeysMatchesReference) {
  Sizes s;  // image-to-token: 200 image tokens query 3 prompt tokens
  s.nq = 200;
  s.nk = 3;
  ExpectFastMatchesReference(s, AttentionOrder::kFewKeys, "few keys");
  s.bk = 2;
  ExpectFastMatchesReference(s, AttentionOrder::kFewKeys, "few keys, XK batch 2");
}

TEST(ProjectedAttention, PlainOrderMatchesReference) {
  Sizes s;  // many tokens on both sides, more query rows than one block of the plain order
  s.nq = 300;
  s.nk = 90;
  s.c = 32;
  s.heads = 2;
  ExpectFastMatchesReference(s, AttentionOrder::kPlain, "plain");
  s.bq = 2;
  ExpectFastMatchesReference(s, AttentionOrder::kPlain, "plain, XQ batch 2");
}

TEST(ProjectedAttention, TokenCountsChangeBetweenRuns) {
  // One kernel object, as a session runs it for prompts of 2, 5 and 11 points (the order may
  // change between runs: 11 tokens times 4 heads exceed C = 16).
  Sizes s;
  uint32_t seed = 40;
  const ir::Node node = AttentionNode(s);
  std::vector<Operands> ops;
  for (int64_t nq : {2, 5, 11}) {
    Sizes t = s;
    t.nq = nq;
    ops.push_back(MakeOperands(t, seed));
    seed += 20;
  }
  std::vector<std::vector<const Tensor*>> sets;
  for (const auto& o : ops) sets.push_back(o.ptrs());
  auto got = RunKernelOnShapes(node, "fast.ProjectedAttention", sets,
                               {false, false, false, true, true, true, true, true, true, true, true});
  ASSERT_EQ(got.size(), sets.size());
  for (size_t i = 0; i < sets.size(); ++i)
    ExpectClose(Eval1(node, sets[i], "ref.ProjectedAttention"), got[i], kRtol, "run " + std::to_string(i));
}

TEST(ProjectedAttention, MismatchedOperandsAreUserErrors) {
  Sizes s;
  Operands o = MakeOperands(s, 3);
  ir::Node bad_heads = AttentionNode(s);
  bad_heads.attributes[0].i = 3;  // 16 columns do not split into 3 heads
  auto r = Eval(bad_heads, o.ptrs(), "ref.ProjectedAttention");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("heads"), std::string::npos) << r.status().message();
  o.t[2] = Random({1, s.nk + 1, s.cv}, 9);  // XV with one token more than XK
  auto r2 = Eval(AttentionNode(s), o.ptrs(), "fast.ProjectedAttention");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("tokens"), std::string::npos) << r2.status().message();
}

}  // namespace
}  // namespace samq::testing::linalg
