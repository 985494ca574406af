// com.samq Attention (backends/cpu/sam_attention.h): fast.Attention against ref.Attention (the
// double-precision loop) on seeded random inputs: with and without the decomposed bias, odd
// sizes (query blocks, tile rows and 16-column tails, Dv not a multiple of 16), SAM's windowed
// shape, and large scores (softmax stability); the plain modes (scale, Kᵀ input, full bias,
// rank 4) likewise; a quantized P (inputs 8, 9). The reference itself is checked against the
// unfused ONNX graph in tests/models/test_sam_attention_fusion.cpp.
#include <gtest/gtest.h>

#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

ir::Node AttentionNode(int inputs) {
  ir::Node n = MakeNode("Attention", inputs);
  n.domain = "com.samq";
  return n;
}

struct Case {
  int64_t b, h, w, kh, kw, d, dv;
  bool rel;
  float scale;  // of Q: large values make the softmax peaky
};

TEST(SamAttention, FastMatchesReference) {
  const std::vector<Case> cases = {
      {3, 5, 5, 5, 5, 16, 16, true, 1.0f},      // small, square
      {2, 3, 7, 4, 6, 9, 20, true, 1.0f},       // Nq 21, Nk 24, odd D, Dv padded to 32
      {2, 14, 14, 14, 14, 64, 64, true, 0.5f},  // SAM windowed block (Nq = Nk = 196)
      {40, 3, 5, 4, 4, 16, 24, true, 1.0f},     // many batch indices: the per-batch schedule
      {1, 16, 16, 16, 16, 64, 64, true, 0.5f},  // several query blocks of 48 rows
      {2, 7, 7, 7, 7, 32, 64, true, 4.0f},      // peaky softmax
      {2, 10, 5, 2, 35, 8, 8, false, 1.0f},     // no bias: plain attention, Nk 70
      {1, 1, 1, 1, 1, 3, 5, true, 1.0f},        // one query, one key
      {1, 20, 18, 20, 18, 16, 16, true, 0.5f},  // bias tables wider than a vector (the loop path)
      {2, 17, 3, 17, 3, 8, 8, true, 1.0f},      // KH 17 > 16, KW 3: the loop path again
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const int64_t nq = c.h * c.w, nk = c.kh * c.kw;
    SCOPED_TRACE(::testing::Message() << "B " << c.b << " Nq " << nq << " Nk " << nk << " D " << c.d
                                      << " Dv " << c.dv << (c.rel ? " rel" : " plain"));
    Tensor q = Random({c.b, nq, c.d}, seed++, c.scale), k = Random({c.b, nk, c.d}, seed++);
    Tensor v = Random({c.b, nk, c.dv}, seed++), rh = Random({c.b, c.h, c.w, c.kh}, seed++);
    Tensor rw = Random({c.b, c.h, c.w, c.kw}, seed++);
    std::vector<const Tensor*> ins{&q, &k, &v};
    if (c.rel) ins.insert(ins.end(), {&rh, &rw});
    const ir::Node n = AttentionNode(static_cast<int>(ins.size()));
    const Tensor want = Eval1(n, ins, "ref.Attention");
    const Tensor got = Eval1(n, ins, "fast.Attention");
    ASSERT_TRUE(want.defined() && got.defined());
    EXPECT_EQ(got.shape(), (Shape{c.b, nq, c.dv}));
    // A float32 score of magnitude |s| carries ~|s| * 6e-8 absolute error, which exp turns into
    // that much relative error of a weight: the peaky case (|s| up to ~80) gets a wider bound.
    ExpectClose(want, got, c.scale > 1.0f ? 1e-5 : 2e-6, "fast vs ref");
  }
}

// The table form (inputs 6 and 7, from passes/fuse_attention_rel_pos): the kernel computes the
// decomposed terms from Q itself. Checked against the precomputed form with rel_h / rel_w built
// here in double from the same tables (SAM's two Einsums), on both kernels.
TEST(SamAttention, RelPosTablesMatchPrecomputedTerms) {
  const std::vector<Case> cases = {
      {2, 14, 14, 14, 14, 64, 64, true, 0.5f},  // SAM windowed block: tables within a vector
      {1, 16, 12, 16, 12, 32, 32, true, 0.5f},  // H != W, several query blocks
      {3, 20, 18, 20, 18, 16, 16, true, 0.5f},  // tables wider than a vector
      {40, 3, 5, 4, 4, 9, 24, true, 1.0f},      // per-batch schedule, odd depth
      {1, 2, 3, 5, 7, 8, 8, true, 1.0f},        // KH x KW keys differ from H x W queries
  };
  uint32_t seed = 100;
  for (const Case& c : cases)
    for (bool toeplitz : {false, true}) {  // SAM's own tables take the kernels' shared-base path
      const int64_t nq = c.h * c.w, nk = c.kh * c.kw;
      SCOPED_TRACE(::testing::Message() << "B " << c.b << " H " << c.h << " W " << c.w << " KH " << c.kh << " KW "
                                        << c.kw << " D " << c.d << (toeplitz ? " get_rel_pos tables" : ""));
      Tensor q = Random({c.b, nq, c.d}, seed++), k = Random({c.b, nk, c.d}, seed++);
      Tensor v = Random({c.b, nk, c.dv}, seed++);
      Tensor th = RelPosTable(c.h, c.kh, c.d, seed++, toeplitz), tw = RelPosTable(c.w, c.kw, c.d, seed++, toeplitz);
      Tensor rh = Tensor::Zeros(DType::kFloat32, {c.b, c.h, c.w, c.kh}), rw = Tensor::Zeros(DType::kFloat32, {c.b, c.h, c.w, c.kw});
      const float* pq = q.data<float>();
      for (int64_t b = 0; b < c.b; ++b)
        for (int64_t i = 0; i < nq; ++i) {
          const int64_t h = i / c.w, w = i % c.w;
          const float* qi = pq + (b * nq + i) * c.d;
          for (int64_t t = 0; t < c.kh; ++t) {
            double dot = 0;
            for (int64_t e = 0; e < c.d; ++e) dot += static_cast<double>(qi[e]) * th.data<float>()[(h * c.kh + t) * c.d + e];
            rh.data<float>()[(b * nq + i) * c.kh + t] = static_cast<float>(dot);
          }
          for (int64_t t = 0; t < c.kw; ++t) {
            double dot = 0;
            for (int64_t e = 0; e < c.d; ++e) dot += static_cast<double>(qi[e]) * tw.data<float>()[(w * c.kw + t) * c.d + e];
            rw.data<float>()[(b * nq + i) * c.kw + t] = static_cast<float>(dot);
          }
        }
      ir::Node pre = AttentionNode(5), tab = AttentionNode(8);
      for (ir::Node* n : {&pre, &tab}) {
        ir::Attribute a;
        a.name = "scale";
        a.type = ir::AttrType::kFloat;
        a.f = c.scale;
        n->set_attr(a);
      }
      const Tensor want = Eval1(pre, {&q, &k, &v, &rh, &rw}, "ref.Attention");
      const std::vector<const Tensor*> ins{&q, &k, &v, nullptr, nullptr, nullptr, &th, &tw};
      const Tensor ref = Eval1(tab, ins, "ref.Attention");
      const Tensor fast = Eval1(tab, ins, "fast.Attention");
      ASSERT_TRUE(want.defined() && ref.defined() && fast.defined());
      ExpectClose(want, ref, 2e-6, "ref with tables vs precomputed terms");
      ExpectClose(want, fast, 4e-6, "fast with tables vs precomputed terms");
    }
  // Operand errors: tables with the precomputed terms, one table alone, dims that do not fit.
  Tensor q = Random({2, 6, 4}, 1), k = Random({2, 6, 4}, 2), v = Random({2, 6, 4}, 3);
  Tensor th = Random({2, 2, 4}, 4), tw = Random({3, 3, 4}, 5), rh = Random({2, 2, 3, 2}, 6), rw = Random({2, 2, 3, 3}, 7);
  Tensor deep = Random({3, 3, 5}, 8), wide = Random({3, 4, 4}, 9);
  EXPECT_TRUE(Eval(AttentionNode(8), {&q, &k, &v, nullptr, nullptr, nullptr, &th, &tw}).ok());
  EXPECT_FALSE(Eval(AttentionNode(8), {&q, &k, &v, &rh, &rw, nullptr, &th, &tw}).ok());
  EXPECT_FALSE(Eval(AttentionNode(8), {&q, &k, &v, nullptr, nullptr, nullptr, &th, nullptr}).ok());
  EXPECT_FALSE(Eval(AttentionNode(8), {&q, &k, &v, nullptr, nullptr, nullptr, &th, &deep}).ok());  // depth
  EXPECT_FALSE(Eval(AttentionNode(8), {&q, &k, &v, nullptr, nullptr, nullptr, &th, &wide}).ok());  // KH*KW != Nk
}

// The plain-attention modes of Hiera and TinyViT: rank-4 operands (heads as a batch dim), a
// scale attribute, K given as Kᵀ, and a full constant bias repeated over the outer batch dims.
struct PlainCase {
  Shape batch;       // Q's leading dims
  Shape bias_batch;  // the bias's leading dims ({} with has_bias: a plain [Nq, Nk] bias)
  int64_t nq, nk, d, dv;
  float scale;
  bool k_transposed, has_bias;
};

TEST(SamAttention, PlainModesFastMatchesReference) {
  const std::vector<PlainCase> cases = {
      {{1, 2}, {}, 64, 64, 24, 24, 0.2041f, true, false},      // Hiera global block, small
      {{1, 3}, {}, 16, 64, 16, 16, 0.25f, true, false},        // Hiera q-pooled block: Nq < Nk
      {{2, 4}, {4}, 49, 49, 16, 16, 0.25f, true, true},        // TinyViT window: per-head bias
      {{2, 4}, {1, 4}, 49, 49, 16, 16, 0.25f, false, true},    // same, leading 1, K untransposed
      {{3}, {}, 21, 35, 9, 20, 1.0f, false, true},             // rank 3, [Nq, Nk] bias
      {{2, 2}, {2, 2}, 50, 70, 8, 8, 0.125f, true, true},      // bias as big as the scores
  };
  uint32_t seed = 100;
  for (const PlainCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "Nq " << c.nq << " Nk " << c.nk << " D " << c.d << " Dv " << c.dv
                                      << (c.k_transposed ? " Kt" : " K") << (c.has_bias ? " bias" : ""));
    auto with = [&](Shape tail) {
      Shape s = c.batch;
      s.insert(s.end(), tail.begin(), tail.end());
      return s;
    };
    Shape bias_shape = c.bias_batch;
    bias_shape.insert(bias_shape.end(), {c.nq, c.nk});
    Tensor q = Random(with({c.nq, c.d}), seed++);
    Tensor k = Random(c.k_transposed ? with({c.d, c.nk}) : with({c.nk, c.d}), seed++);
    Tensor v = Random(with({c.nk, c.dv}), seed++), bias = Random(bias_shape, seed++, 2.0f);
    std::vector<const Tensor*> ins{&q, &k, &v};
    if (c.has_bias) ins.insert(ins.end(), {nullptr, nullptr, &bias});
    ir::Node n = MakeNode("Attention", static_cast<int>(ins.size()),
                          {AttrF("scale", c.scale), AttrI("k_transposed", c.k_transposed ? 1 : 0)});
    n.domain = "com.samq";
    const Tensor want = Eval1(n, ins, "ref.Attention");
    const Tensor got = Eval1(n, ins, "fast.Attention");
    ASSERT_TRUE(want.defined() && got.defined());
    EXPECT_EQ(got.shape(), with({c.nq, c.dv}));
    ExpectClose(want, got, 2e-6, "fast vs ref");
  }
}

// A quantized attention (inputs 8, 9: P's QuantizeLinear -> DequantizeLinear parameters, from a
// QDQ file with quantized attention MatMuls). Both kernels quantize P after normalizing it; they
// compute P in different precisions (ref in double, fast in float), so a value of P/scale within
// an ulp of a rounding boundary can land on neighbouring steps: such flips must be rare and each
// moves an output by at most one step times |V|. The quantization must also matter (the result
// differs from the unquantized attention), and malformed parameters are user errors.
TEST(SamAttention, QuantizedPMatchesReference) {
  struct QCase {
    int64_t b, h, w, d;
    bool rel;
    float p_scale;
    bool u8;
    int zero_point;
  };
  const std::vector<QCase> cases = {
      {2, 8, 8, 16, false, 1.0f / 255.0f, true, 0},  // u8, the softmax's natural range
      {2, 14, 14, 32, true, 0.004f, true, 3},        // SAM windowed shape, rel bias, zp 3
      {3, 5, 7, 8, false, 1.0f / 127.0f, false, 0},  // s8
      {1, 16, 16, 16, true, 0.05f, false, -5},       // coarse s8 steps, several query blocks
  };
  uint32_t seed = 300;
  for (const QCase& c : cases) {
    const int64_t n = c.h * c.w;
    SCOPED_TRACE(::testing::Message() << "B " << c.b << " N " << n << " D " << c.d << (c.u8 ? " u8" : " s8")
                                      << " scale " << c.p_scale << " zp " << c.zero_point);
    Tensor q = Random({c.b, n, c.d}, seed++, 0.7f), k = Random({c.b, n, c.d}, seed++);
    Tensor v = Random({c.b, n, c.d}, seed++), rh = Random({c.b, c.h, c.w, c.h}, seed++);
    Tensor rw = Random({c.b, c.h, c.w, c.w}, seed++);
    Tensor ps = Tensor::FromVector<float>({}, {c.p_scale});
    Tensor pz = c.u8 ? Tensor::FromVector<uint8_t>({}, {static_cast<uint8_t>(c.zero_point)})
                     : Tensor::FromVector<int8_t>({}, {static_cast<int8_t>(c.zero_point)});
    std::vector<const Tensor*> plain_ins{&q, &k, &v};
    if (c.rel) plain_ins.insert(plain_ins.end(), {&rh, &rw});
    std::vector<const Tensor*> ins = plain_ins;
    ins.resize(8, nullptr);
    ins.insert(ins.end(), {&ps, &pz});
    const ir::Node n10 = AttentionNode(10);
    const Tensor want = Eval1(n10, ins, "ref.Attention");
    const Tensor got = Eval1(n10, ins, "fast.Attention");
    const Tensor unquantized = Eval1(AttentionNode(static_cast<int>(plain_ins.size())), plain_ins, "ref.Attention");
    ASSERT_TRUE(want.defined() && got.defined() && unquantized.defined());
    ExpectRareRoundingFlips(want, got, c.p_scale, v);
    EXPECT_GT(CompareTensors(unquantized, want).max_abs, c.p_scale / 4) << "P was not quantized";
  }
  Tensor q = Random({1, 4, 8}, 1), k = Random({1, 4, 8}, 2), v = Random({1, 4, 8}, 3);
  Tensor ps = Tensor::FromVector<float>({}, {0.01f}), two = Tensor::FromVector<float>({2}, {0.01f, 0.02f});
  Tensor pz = Tensor::FromVector<uint8_t>({}, {0}), fz = Tensor::FromVector<float>({}, {0.0f});
  auto with = [&](const Tensor* s, const Tensor* z) {
    return Eval(AttentionNode(10), {&q, &k, &v, nullptr, nullptr, nullptr, nullptr, nullptr, s, z});
  };
  EXPECT_TRUE(with(&ps, &pz).ok());
  EXPECT_FALSE(with(&ps, nullptr).ok());  // scale without zero point
  EXPECT_FALSE(with(&ps, &fz).ok());      // float zero point
  EXPECT_FALSE(with(&two, &pz).ok());     // two scales
}

TEST(SamAttention, ShapeErrorsAreUserErrors) {
  Tensor q = Random({2, 6, 4}, 1), k = Random({2, 6, 4}, 2), v = Random({2, 6, 4}, 3);
  Tensor rh = Random({2, 2, 3, 2}, 4), rw = Random({2, 2, 3, 3}, 5), bad = Random({2, 3, 3, 2}, 6);
  EXPECT_TRUE(Eval(AttentionNode(5), {&q, &k, &v, &rh, &rw}).ok());
  EXPECT_FALSE(Eval(AttentionNode(5), {&q, &k, &v, &bad, &rw}).ok());  // H*W != Nq
  Tensor k2 = Random({2, 6, 5}, 7);
  EXPECT_FALSE(Eval(AttentionNode(3), {&q, &k2, &v}).ok());  // depths differ
  // rel_h without rel_w.
  auto r = Eval(AttentionNode(5), {&q, &k, &v, &rh, nullptr});
  EXPECT_FALSE(r.ok());
  // A full bias must be [..., Nq, Nk] with Q's innermost batch dims.
  Tensor good_bias = Random({6, 6}, 8), bad_bias = Random({6, 5}, 9), bad_batch = Random({3, 6, 6}, 10);
  EXPECT_TRUE(Eval(AttentionNode(6), {&q, &k, &v, nullptr, nullptr, &good_bias}).ok());
  EXPECT_FALSE(Eval(AttentionNode(6), {&q, &k, &v, nullptr, nullptr, &bad_bias}).ok());
  EXPECT_FALSE(Eval(AttentionNode(6), {&q, &k, &v, nullptr, nullptr, &bad_batch}).ok());
}

// The strided form (passes/fold_attention_layouts): Q, K and V read out of one Hiera-style qkv
// tensor [B, N, 3, heads, d] and Y written as [B, N, heads * d], on both kernels, against the
// dense form on the same values gathered by hand. Then views that reach past their tensor, batch
// counts that differ and malformed attributes: errors, never out-of-bounds accesses.
TEST(SamAttention, StridedFormMatchesDenseAndRejectsBadViews) {
  const int64_t b = 2, n = 10, heads = 2, d = 16, c = heads * d;
  Tensor qkv = Random({b, n, 3 * c}, 40);
  // Dense Q, K, V [b * heads, n, d] gathered from qkv.
  Tensor dense[3] = {Random({b * heads, n, d}, 0), Random({b * heads, n, d}, 0), Random({b * heads, n, d}, 0)};
  for (int64_t part = 0; part < 3; ++part)
    for (int64_t bb = 0; bb < b; ++bb)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t x = 0; x < d; ++x)
            dense[part].data<float>()[((bb * heads + h) * n + i) * d + x] =
                qkv.data<float>()[((bb * n + i) * 3 + part) * c + h * d + x];
  auto node = [&](std::vector<int64_t> q_off, std::vector<int64_t> y_batch, std::vector<int64_t> out_shape) {
    auto view = [&](int64_t offset) {
      return std::vector<int64_t>{offset, 3 * c, 1, b, n * 3 * c, heads, d};
    };
    std::vector<int64_t> y_view{0, c, 1};
    y_view.insert(y_view.end(), y_batch.begin(), y_batch.end());
    ir::Node nd = MakeNode("Attention", 3,
                           {AttrF("scale", 0.25f), AttrInts("layout_dims", {n, n, d, d}), AttrInts("q_view", q_off),
                            AttrInts("k_view", view(c)), AttrInts("v_view", view(2 * c)),
                            AttrInts("y_view", y_view), AttrInts("output_shape", out_shape)});
    nd.domain = "com.samq";
    return nd;
  };
  const std::vector<int64_t> q_view{0, 3 * c, 1, b, n * 3 * c, heads, d};
  const ir::Node good = node(q_view, {b, n * c, heads, d}, {b, n, c});
  ir::Node plain = MakeNode("Attention", 3, {AttrF("scale", 0.25f)});
  plain.domain = "com.samq";
  const Tensor want_dense = Eval1(plain, {&dense[0], &dense[1], &dense[2]}, "ref.Attention");
  ASSERT_TRUE(want_dense.defined());
  for (const char* kernel : {"ref.Attention", "fast.Attention"}) {
    SCOPED_TRACE(kernel);
    const Tensor got = Eval1(good, {&qkv, &qkv, &qkv}, kernel);
    ASSERT_TRUE(got.defined());
    ASSERT_EQ(got.shape(), (Shape{b, n, c}));
    Tensor want = Tensor::Zeros(DType::kFloat32, {b, n, c});
    for (int64_t bb = 0; bb < b; ++bb)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < n; ++i)
          for (int64_t x = 0; x < d; ++x)
            want.data<float>()[(bb * n + i) * c + h * d + x] = want_dense.data<float>()[((bb * heads + h) * n + i) * d + x];
    ExpectClose(want, got, 2e-6, "strided vs dense");
  }
  std::vector<int64_t> past_end = q_view;
  past_end[0] = 3 * c;  // Q's last rows would run past qkv
  EXPECT_FALSE(Eval(node(past_end, {b, n * c, heads, d}, {b, n, c}), {&qkv, &qkv, &qkv}).ok());
  EXPECT_FALSE(Eval(node(q_view, {b, n * c}, {b, n, c}), {&qkv, &qkv, &qkv}).ok());      // batch counts differ
  EXPECT_FALSE(Eval(node(q_view, {b, n * c, heads, d}, {b, n, c + 1}), {&qkv, &qkv, &qkv}).ok());  // wrong size
  EXPECT_FALSE(Eval(node({0, -1, 1, b, 0}, {b, n * c, heads, d}, {b, n, c}), {&qkv, &qkv, &qkv}).ok());
  EXPECT_FALSE(Eval(node({0, 3 * c}, {b, n * c, heads, d}, {b, n, c}), {&qkv, &qkv, &qkv}).ok());  // too short
  ir::Node no_shape = good;
  std::erase_if(no_shape.attributes, [](const ir::Attribute& a) { return a.name == "output_shape"; });
  EXPECT_FALSE(Eval(no_shape, {&qkv, &qkv, &qkv}).ok());
}

}  // namespace
}  // namespace samq::testing::linalg
