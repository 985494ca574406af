// MatMul, Gemm and Einsum: hand-derived values on the reference kernels, static shape inference,
// errors, and the oneDNN kernels against the reference on seeded random data (including the
// real SAM layer shapes).
//
// Tolerance for oneDNN vs reference: 1e-4 relative to the output's largest magnitude. The
// reference accumulates in float64; oneDNN in float32 with blocked summation, whose error grows
// like sqrt(K) * eps * |terms| — about 1e-6 of the output scale at K = 3072.
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

constexpr double kFastRtol = 1e-4;

// A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]: A·B = [[58,64],[139,154]].
Tensor A23() { return F({2, 3}, {1, 2, 3, 4, 5, 6}); }
Tensor B32() { return F({3, 2}, {7, 8, 9, 10, 11, 12}); }

TEST(MatMul, TwoByTwoAndVectors) {
  Tensor a = A23(), b = B32();
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&a, &b}, "ref.MatMul"), DType::kFloat32, {2, 2},
               {58, 64, 139, 154});
  // A 1-D first operand is a row vector whose added dim is dropped: [1,2,3]·B = [58, 64].
  Tensor v3 = F({3}, {1, 2, 3});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&v3, &b}), DType::kFloat32, {2}, {58, 64});
  // A 1-D second operand is a column vector: A·[1,1,1] = row sums [6, 15].
  Tensor ones = F({3}, {1, 1, 1});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&a, &ones}), DType::kFloat32, {2}, {6, 15});
  // 1-D · 1-D is a dot product with a scalar result: 1*4 + 2*5 + 3*6 = 32.
  Tensor w3 = F({3}, {4, 5, 6});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&v3, &w3}), DType::kFloat32, {}, {32});
}

TEST(MatMul, BatchBroadcasting) {
  // A[i] = (i+1)·A23 with shape [2,1,2,3]; B[j] = B32 + j with shape [3,3,2]. Then
  // out[i][j] = (i+1)·(A·B + j·rowsum(A)), rowsum(A) = [6, 15], shape [2,3,2,2].
  std::vector<float> av, bv;
  for (int i = 0; i < 2; ++i)
    for (float x : {1, 2, 3, 4, 5, 6}) av.push_back(x * (i + 1));
  for (int j = 0; j < 3; ++j)
    for (float x : {7, 8, 9, 10, 11, 12}) bv.push_back(x + j);
  Tensor a = F({2, 1, 2, 3}, av), b = F({3, 3, 2}, bv);
  const double ab[2][2] = {{58, 64}, {139, 154}}, rowsum[2] = {6, 15};
  std::vector<double> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) want.push_back((i + 1) * (ab[r][c] + j * rowsum[r]));
  for (const char* k : {"ref.MatMul", "onednn.matmul_f32"})
    ExpectTensor(Eval1(MakeNode("MatMul", 2), {&a, &b}, k), DType::kFloat32, {2, 3, 2, 2}, want, 1e-6);
}

TEST(MatMul, IntegerAndDoubleDtypes) {
  Tensor a32 = elem::I32({2, 3}, {1, 2, 3, 4, 5, 6}), b32 = elem::I32({3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&a32, &b32}), DType::kInt32, {2, 2}, {58, 64, 139, 154});
  Tensor a64 = elem::I64({2, 3}, {1, 2, 3, 4, 5, 6}), b64 = elem::I64({3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&a64, &b64}), DType::kInt64, {2, 2}, {58, 64, 139, 154});
  Tensor ad = elem::FromDoubles(DType::kFloat64, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor bd = elem::FromDoubles(DType::kFloat64, {3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&ad, &bd}), DType::kFloat64, {2, 2}, {58, 64, 139, 154});
  Tensor ah = elem::FromDoubles(DType::kFloat16, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor bh = elem::FromDoubles(DType::kFloat16, {3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&ah, &bh}), DType::kFloat16, {2, 2}, {58, 64, 139, 154});
}

TEST(MatMul, EmptyDims) {
  Tensor a = Tensor::Zeros(DType::kFloat32, {0, 3}), b = B32();
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&a, &b}), DType::kFloat32, {0, 2}, {});
  // K = 0: every output is an empty sum.
  Tensor k0a = Tensor::Zeros(DType::kFloat32, {2, 0}), k0b = Tensor::Zeros(DType::kFloat32, {0, 2});
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&k0a, &k0b}), DType::kFloat32, {2, 2}, {0, 0, 0, 0});
}

TEST(MatMul, ShapeErrors) {
  Tensor a = A23(), bad = F({2, 2}, {1, 2, 3, 4});
  auto r = Eval(MakeNode("MatMul", 2), {&a, &bad});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
  EXPECT_NE(r.status().message().find("inner dims differ"), std::string::npos) << r.status().message();
  Tensor a3 = Tensor::Zeros(DType::kFloat32, {2, 2, 3}), b3 = Tensor::Zeros(DType::kFloat32, {3, 3, 2});
  r = Eval(MakeNode("MatMul", 2), {&a3, &b3});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch dims"), std::string::npos) << r.status().message();
  Tensor s = Tensor::Scalar<float>(1);
  EXPECT_FALSE(Eval(MakeNode("MatMul", 2), {&s, &a}).ok());
}

TEST(MatMul, StaticInferenceWithUnknownDims) {
  const rt::OpSchema* schema = backends::DefaultRegistry().Find("", "MatMul");
  ASSERT_NE(schema, nullptr);
  ir::Node node = MakeNode("MatMul", 2);
  auto infer = [&](rt::TensorType a, rt::TensorType b) {
    rt::InferContext ctx(node, 17, {a, b}, {nullptr, nullptr});
    Status st = schema->infer(ctx);
    EXPECT_TRUE(st.ok()) << st.message();
    return ctx.output_types()[0];
  };
  auto t = infer({DType::kFloat32, true, {-1, -1, 256}}, {DType::kFloat32, true, {256, 128}});
  EXPECT_EQ(t.dims, (Shape{-1, -1, 128}));
  t = infer({DType::kFloat32, true, {-1, 8, -1, 32}}, {DType::kFloat32, true, {-1, 1, 32, -1}});
  EXPECT_EQ(t.dims, (Shape{-1, 8, -1, -1}));
  t = infer({DType::kFloat32, false, {}}, {DType::kFloat32, true, {256, 128}});
  EXPECT_FALSE(t.rank_known);
  EXPECT_EQ(t.dtype, DType::kFloat32);
}

TEST(Gemm, AlphaBetaTransposesAndC) {
  Tensor a = A23(), b = B32(), c = F({2}, {1, 2});
  // 2·A·B + 0.5·[1, 2] broadcast over rows.
  ExpectTensor(Eval1(MakeNode("Gemm", 3, {AttrF("alpha", 2), AttrF("beta", 0.5f)}), {&a, &b, &c}),
               DType::kFloat32, {2, 2}, {116.5, 129, 278.5, 309});
  // transA / transB read the stored transposes.
  Tensor at = F({3, 2}, {1, 4, 2, 5, 3, 6}), bt = F({2, 3}, {7, 9, 11, 8, 10, 12});
  ExpectTensor(Eval1(MakeNode("Gemm", 2, {AttrI("transA", 1), AttrI("transB", 1)}), {&at, &bt}),
               DType::kFloat32, {2, 2}, {58, 64, 139, 154});
  // C as a scalar and as a column [M, 1].
  Tensor s = Tensor::Scalar<float>(10), col = F({2, 1}, {1, 2});
  ExpectTensor(Eval1(MakeNode("Gemm", 3), {&a, &b, &s}), DType::kFloat32, {2, 2}, {68, 74, 149, 164});
  ExpectTensor(Eval1(MakeNode("Gemm", 3), {&a, &b, &col}), DType::kFloat32, {2, 2}, {59, 65, 141, 156});
  Tensor ai = elem::I64({2, 3}, {1, 2, 3, 4, 5, 6}), bi = elem::I64({3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectTensor(Eval1(MakeNode("Gemm", 2), {&ai, &bi}), DType::kInt64, {2, 2}, {58, 64, 139, 154});
  // A C that does not broadcast to (M, N) is a user error.
  Tensor bad = F({3}, {1, 2, 3});
  EXPECT_FALSE(Eval(MakeNode("Gemm", 3), {&a, &b, &bad}).ok());
}

TEST(Einsum, HandDerived) {
  Tensor a = A23(), b = B32();
  auto eq = [](const std::string& e, int n) { return MakeNode("Einsum", n, {AttrS("equation", e)}); };
  ExpectTensor(Eval1(eq("ij,jk->ik", 2), {&a, &b}), DType::kFloat32, {2, 2}, {58, 64, 139, 154});
  ExpectTensor(Eval1(eq("ij,jk", 2), {&a, &b}), DType::kFloat32, {2, 2}, {58, 64, 139, 154});
  // Implicit output sorts labels: "ba" is a transpose.
  ExpectTensor(Eval1(eq("ba", 1), {&a}), DType::kFloat32, {3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor m = F({3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  ExpectTensor(Eval1(eq("ii->i", 1), {&m}), DType::kFloat32, {3}, {0, 4, 8});  // diagonal
  ExpectTensor(Eval1(eq("ii", 1), {&m}), DType::kFloat32, {}, {12});           // trace
  ExpectTensor(Eval1(eq("ij->", 1), {&m}), DType::kFloat32, {}, {36});
  ExpectTensor(Eval1(eq("i j -> j", 1), {&m}), DType::kFloat32, {3}, {9, 12, 15});
  // Three operands: (A·B)·[[1],[1]] = row sums of A·B = [122, 293].
  Tensor c = F({2, 1}, {1, 1});
  ExpectTensor(Eval1(eq("ij,jk,kl->il", 3), {&a, &b, &c}), DType::kFloat32, {2, 1}, {122, 293});
  // Outer product.
  Tensor u = F({2}, {1, 2}), v = F({3}, {1, 10, 100});
  ExpectTensor(Eval1(eq("i,j->ij", 2), {&u, &v}), DType::kFloat32, {2, 3}, {1, 10, 100, 2, 20, 200});
  Tensor ai = elem::I64({2, 3}, {1, 2, 3, 4, 5, 6}), bi = elem::I64({3, 2}, {7, 8, 9, 10, 11, 12});
  ExpectTensor(Eval1(eq("ij,jk->ik", 2), {&ai, &bi}), DType::kInt64, {2, 2}, {58, 64, 139, 154});
}

TEST(Einsum, EllipsisBroadcastMatchesMatMul) {
  Tensor a = Random({2, 1, 4, 5}, 1), b = Random({3, 5, 6}, 2);
  Tensor mm = Eval1(MakeNode("MatMul", 2), {&a, &b}, "ref.MatMul");
  Tensor es = Eval1(MakeNode("Einsum", 2, {AttrS("equation", "...ij,...jk->...ik")}), {&a, &b});
  ExpectClose(mm, es, 1e-6, "ellipsis einsum vs matmul");
  Tensor es2 = Eval1(MakeNode("Einsum", 2, {AttrS("equation", "...ij,...jk")}), {&a, &b});
  ExpectClose(mm, es2, 1e-6, "implicit ellipsis einsum vs matmul");
}

// SAM's decomposed relative positions: attn_h[b,h,w,k] = sum_c q[b,h,w,c] * Rh[h,k,c] and
// attn_w[b,h,w,k] = sum_c q[b,h,w,c] * Rw[w,k,c], checked against explicit loops.
TEST(Einsum, SamRelativePositionEquations) {
  const int64_t B = 3, H = 5, W = 4, C = 8;
  Tensor q = Random({B, H, W, C}, 3), rh = Random({H, H, C}, 4), rw = Random({W, W, C}, 5);
  for (bool by_h : {true, false}) {
    const Tensor& r = by_h ? rh : rw;
    const int64_t kk = by_h ? H : W;
    Tensor got = Eval1(MakeNode("Einsum", 2, {AttrS("equation", by_h ? "bhwc,hkc->bhwk" : "bhwc,wkc->bhwk")}),
                       {&q, &r});
    std::vector<double> want;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w)
          for (int64_t k = 0; k < kk; ++k) {
            double s = 0;
            const int64_t p = by_h ? h : w;
            for (int64_t c = 0; c < C; ++c)
              s += q.data<float>()[((b * H + h) * W + w) * C + c] * double(r.data<float>()[(p * kk + k) * C + c]);
            want.push_back(s);
          }
    ExpectTensor(got, DType::kFloat32, {B, H, W, kk}, want, 1e-6);
  }
}

TEST(Einsum, Errors) {
  Tensor a = A23(), b = B32();
  auto err = [&](const std::string& e, std::vector<const Tensor*> in) {
    auto r = Eval(MakeNode("Einsum", static_cast<int>(in.size()), {AttrS("equation", e)}), in);
    EXPECT_FALSE(r.ok()) << e;
    if (r.ok()) return std::string();
    EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
    return r.status().message();
  };
  EXPECT_NE(err("ij,jk->iz", {&a, &b}).find("'z' is not in any input"), std::string::npos);
  EXPECT_NE(err("ij,jk", {&a}).find("input terms"), std::string::npos);
  EXPECT_NE(err("ijk,jk->i", {&a, &b}).find("rank"), std::string::npos);
  EXPECT_NE(err("i.j->i", {&a}).find("'...'"), std::string::npos);
  EXPECT_NE(err("ij,ij->i", {&a, &b}).find("size"), std::string::npos);  // 3 vs 2
}

// oneDNN vs reference on seeded random shapes: small, batched, broadcast, constant and not.
TEST(MatMulFast, RandomShapesMatchReference) {
  struct Case {
    Shape a, b;
    bool b_const;
  };
  const std::vector<Case> cases = {
      {{7, 64}, {64, 33}, true},          {{3, 5, 17}, {17, 9}, true},
      {{2, 3, 8, 16}, {2, 3, 16, 8}, false}, {{1, 3, 8, 16}, {2, 1, 16, 8}, false},
      {{4, 16}, {3, 16, 5}, false},       {{5, 1, 7, 12}, {12, 3}, false},
      {{1, 1}, {1, 1}, true},             {{2, 9, 1}, {2, 1, 9}, false}};
  uint32_t seed = 100;
  for (const Case& c : cases) {
    Tensor a = Random(c.a, seed++), b = Random(c.b, seed++);
    Tensor ref = Eval1(MakeNode("MatMul", 2), {&a, &b}, "ref.MatMul");
    auto fast = RunKernelOnShapes(MakeNode("MatMul", 2), "onednn.matmul_f32", {{&a, &b}}, {false, c.b_const});
    ASSERT_EQ(fast.size(), 1u);
    ExpectClose(ref, fast[0], kFastRtol, shape_str(c.a) + " x " + shape_str(c.b));
  }
}

// One kernel object, constant prepacked weight, activations of changing length (the decoder's
// token count varies with the prompt): each shape gets its own primitive, all share the weight.
TEST(MatMulFast, PrepackedWeightAcrossShapes) {
  Tensor w = Random({256, 2048}, 7, 0.05f);
  Tensor a5 = Random({1, 5, 256}, 8), a9 = Random({1, 9, 256}, 9), a64 = Random({2, 64, 256}, 10);
  auto outs = RunKernelOnShapes(MakeNode("MatMul", 2), "onednn.matmul_f32",
                                {{&a5, &w}, {&a9, &w}, {&a5, &w}, {&a64, &w}}, {false, true}, {1});
  ASSERT_EQ(outs.size(), 4u);
  const Tensor* as[] = {&a5, &a9, &a5, &a64};
  for (int i = 0; i < 4; ++i)
    ExpectClose(Eval1(MakeNode("MatMul", 2), {as[i], &w}, "ref.MatMul"), outs[i], kFastRtol,
                "run " + std::to_string(i));
}

// The real encoder/decoder shapes. The reference runs on a slice of rows (rows of a product with
// a 2-D weight are independent), or a slice of the batch for attention products, to keep the
// float64 reference affordable.
TEST(MatMulFast, SamLayerShapes) {
  struct Linear {
    Shape a;
    int64_t k, n;
  };
  // ViT-B qkv, ViT-B MLP, SAM-2 Hiera stage, decoder token MLP.
  for (const Linear& l : {Linear{{1, 4096, 768}, 768, 2304}, Linear{{1, 64, 64, 256}, 256, 1024},
                          Linear{{1, 64, 64, 768}, 768, 192}, Linear{{1, 7, 256}, 256, 2048}}) {
    Tensor a = Random(l.a, 11, 1.0f), w = Random({l.k, l.n}, 12, 0.05f);
    Tensor fast = Eval1(MakeNode("MatMul", 2), {&a, &w}, "onednn.matmul_f32");
    const int64_t rows = a.numel() / l.k;
    Tensor a2 = a.Reshaped({rows, l.k}), f2 = fast.Reshaped({rows, l.n});
    for (int64_t begin : {int64_t{0}, std::max<int64_t>(0, rows - 64)}) {
      const int64_t end = std::min(rows, begin + 64);
      Tensor a_rows = Rows(a2, begin, end);
      Tensor ref = Eval1(MakeNode("MatMul", 2), {&a_rows, &w}, "ref.MatMul");
      ExpectClose(ref, Rows(f2, begin, end), kFastRtol, shape_str(l.a) + " rows " + std::to_string(begin));
    }
  }
  // Windowed attention (14x14 windows, 64-dim heads): q·kᵀ and attn·v on 24 of the 300 heads.
  struct Batched {
    Shape a, b;
  };
  for (const Batched& bm : {Batched{{24, 196, 64}, {24, 64, 196}}, Batched{{24, 196, 196}, {24, 196, 64}},
                            Batched{{1, 8, 7, 16}, {1, 8, 16, 4096}}, Batched{{2, 1024, 32}, {2, 32, 1024}}}) {
    Tensor a = Random(bm.a, 13), b = Random(bm.b, 14);
    Tensor ref = Eval1(MakeNode("MatMul", 2), {&a, &b}, "ref.MatMul");
    auto fast = RunKernelOnShapes(MakeNode("MatMul", 2), "onednn.matmul_f32", {{&a, &b}}, {false, false});
    ASSERT_EQ(fast.size(), 1u);
    ExpectClose(ref, fast[0], kFastRtol, shape_str(bm.a) + " x " + shape_str(bm.b));
  }
}

TEST(MatMulFast, DeclinesWithReasons) {
  Tensor a = A23(), v = F({3}, {1, 2, 3});
  EXPECT_NE(DeclineReason(MakeNode("MatMul", 2), {&v, &a}, {false, true}, "onednn.matmul_f32").find("1-D"),
            std::string::npos);
  Tensor ai = elem::I32({2, 3}, {1, 2, 3, 4, 5, 6}), bi = elem::I32({3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(DeclineReason(MakeNode("MatMul", 2), {&ai, &bi}, {false, true}, "onednn.matmul_f32"),
            "dtype int32 (float32 only)");
  // The default choice for float32 is oneDNN; the int32 node still runs (on the reference).
  ExpectTensor(Eval1(MakeNode("MatMul", 2), {&ai, &bi}), DType::kInt32, {2, 2}, {22, 28, 49, 64});
}

TEST(GemmFast, MatchesReference) {
  struct Case {
    int64_t m, k, n;
    bool ta, tb;
    float alpha, beta;
    Shape c;
    bool c_const;
  };
  const std::vector<Case> cases = {
      {7, 256, 256, false, true, 1, 1, {256}, true},   // SAM decoder MLP layers
      {5, 256, 32, false, true, 1, 1, {256 / 8}, true},
      {6, 64, 48, true, false, 0.5f, 2, {6, 48}, true},
      {6, 64, 48, false, false, 1, 1, {6, 1}, false},
      {3, 40, 24, true, true, 1, 1, {}, false},
      {9, 32, 16, false, true, 1.5f, 1, {1, 16}, false}};
  uint32_t seed = 200;
  for (const Case& c : cases) {
    Tensor a = Random(c.ta ? Shape{c.k, c.m} : Shape{c.m, c.k}, seed++);
    Tensor b = Random(c.tb ? Shape{c.n, c.k} : Shape{c.k, c.n}, seed++);
    const bool has_c = !c.c.empty();
    Tensor cc = has_c ? Random(c.c, seed++) : Tensor();
    ir::Node node = MakeNode("Gemm", has_c ? 3 : 2,
                             {AttrI("transA", c.ta), AttrI("transB", c.tb), AttrF("alpha", c.alpha),
                              AttrF("beta", c.beta)});
    std::vector<const Tensor*> in = {&a, &b};
    if (has_c) in.push_back(&cc);
    Tensor ref = Eval1(node, in, "ref.Gemm");
    auto fast = RunKernelOnShapes(node, "onednn.gemm_f32", {in}, {false, true, c.c_const});
    ASSERT_EQ(fast.size(), 1u);
    ExpectClose(ref, fast[0], kFastRtol, "gemm " + std::to_string(c.m) + "x" + std::to_string(c.k) + "x" + std::to_string(c.n));
  }
  // alpha != 1 needs a constant B to fold it into.
  Tensor a = Random({2, 3}, 1), b = Random({3, 4}, 2);
  EXPECT_EQ(DeclineReason(MakeNode("Gemm", 2, {AttrF("alpha", 2)}), {&a, &b}, {false, false}, "onednn.gemm_f32"),
            "alpha != 1 with non-constant B");
}

}  // namespace
}  // namespace samq::testing::linalg
