// passes/fuse_sam_attention + com.samq Attention end to end: the exported SAM attention subgraph
// (built here in ONNX form, and the sam-vit-mini fixture encoder) fuses into one Attention node
// per block, and the fused session reproduces the unfused one (SessionOptions::fuse_sam_attention
// = false): fast kernels against fast kernels, and ref.Attention against the reference kernels of
// the original ops (so the reference Attention is itself checked against the ONNX semantics).
// Near misses (an intermediate read twice) stay unfused. The plain pattern (Hiera, TinyViT: rank
// 4, Mul/Div scale, constant per-head bias) likewise, and on the sam2-mini and mobilesam fixtures.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "backends/registry.h"
#include "io/npy.h"
#include "runtime/session.h"
#include "onnx/import.h"
#include "support/expect_tensors.h"
#include "support/fixtures.h"
#include "support/graph_builders.h"

namespace samq::testing {
namespace {

ir::ValueInfo Value(const std::string& name, const Shape& dims) { return FloatValue(name, dims); }
ir::Node N(const std::string& op, std::vector<std::string> in, const std::string& out,
           std::vector<ir::Attribute> attrs = {}) {
  return GraphNode(op, std::move(in), out, std::move(attrs));
}
using ir::IntsAttr;
constexpr auto Ints = IntsAttr;

struct Dims {
  int64_t b = 2, h = 3, w = 4, kh = 3, kw = 5, d = 8, dv = 6;
};

// The attention of segment-anything's ImageEncoderViT blocks as torch.onnx exports it (opset 17,
// shapes already folded to constants). `swap_adds` adds rel_w first, with operands swapped;
// `expose_scores` also makes the softmax output a graph output (a near miss).
ir::Model RelPosAttentionModel(const Dims& s, bool swap_adds = false, bool expose_scores = false) {
  const int64_t nq = s.h * s.w, nk = s.kh * s.kw;
  ir::Model m;
  m.opsets = {{"", 17}};
  m.producer_name = "samq-tests";
  ir::Graph& g = m.graph;
  g.name = "sam_attention";
  g.inputs = {Value("q", {s.b, nq, s.d}), Value("k", {s.b, nk, s.d}), Value("v", {s.b, nk, s.dv}),
              Value("rel_h", {s.b, s.h, s.w, s.kh}), Value("rel_w", {s.b, s.h, s.w, s.kw})};
  g.outputs = {Value("y", {s.b, nq, s.dv})};
  if (expose_scores) g.outputs.push_back(Value("p", {s.b, nq, nk}));
  g.initializers["shape5"] = Tensor::FromVector<int64_t>({5}, {s.b, s.h, s.w, s.kh, s.kw});
  g.initializers["shape3"] = Tensor::FromVector<int64_t>({3}, {s.b, nq, nk});
  g.initializers["axis_last"] = Tensor::FromVector<int64_t>({1}, {-1});
  g.initializers["axis_3"] = Tensor::FromVector<int64_t>({1}, {3});
  g.nodes = {N("Transpose", {"k"}, "kt", {Ints("perm", {0, 2, 1})}), N("MatMul", {"q", "kt"}, "s"),
             N("Reshape", {"s", "shape5"}, "s5"), N("Unsqueeze", {"rel_h", "axis_last"}, "uh"),
             N("Unsqueeze", {"rel_w", "axis_3"}, "uw")};
  if (swap_adds) {
    g.nodes.push_back(N("Add", {"uw", "s5"}, "a1"));
    g.nodes.push_back(N("Add", {"uh", "a1"}, "a2"));
  } else {
    g.nodes.push_back(N("Add", {"s5", "uh"}, "a1"));
    g.nodes.push_back(N("Add", {"a1", "uw"}, "a2"));
  }
  ir::Attribute axis;
  axis.name = "axis";
  axis.type = ir::AttrType::kInt;
  axis.i = -1;
  g.nodes.push_back(N("Reshape", {"a2", "shape3"}, "x"));
  g.nodes.push_back(N("Softmax", {"x"}, "p", {axis}));
  g.nodes.push_back(N("MatMul", {"p", "v"}, "y"));
  return m;
}

Tensor Random(const Shape& s, uint32_t seed, float scale = 1.0f) { return RandomNormal(s, seed, scale); }

// SAM-1 preprocessing of the stored resize (fixtures/README.md): (rgb - mean) / std, zero pad
// bottom/right to side x side, NCHW.
Tensor SamPreprocess(const Tensor& rgb_u8, int64_t side) {
  const float mean[3] = {123.675f, 116.28f, 103.53f}, stdv[3] = {58.395f, 57.12f, 57.375f};
  const int64_t h = rgb_u8.dim(0), w = rgb_u8.dim(1);
  Tensor out = Tensor::Zeros(DType::kFloat32, {1, 3, side, side});
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        out.data<float>()[(c * side + y) * side + x] =
            (static_cast<float>(rgb_u8.data<uint8_t>()[(y * w + x) * 3 + c]) - mean[c]) / stdv[c];
  return out;
}

struct Compiled {
  int attention_nodes = -1, softmax_nodes = -1;
  int folded_nodes = -1;   // Attention nodes in the strided form (passes/fold_attention_layouts)
  int layout_nodes = -1;   // Transpose and Split nodes left
  int einsum_nodes = -1;   // the rel-pos Einsums left outside the attention
  int table_nodes = -1;    // Attention nodes computing them itself (passes/fuse_attention_rel_pos)
  int split_outputs = -1;  // outputs the Split nodes left still write
  std::map<std::string, Tensor> out;
};

Compiled CompileAndRun(ir::Model model, const std::map<std::string, Tensor>& feeds, bool fuse, bool ref_only,
                       bool rel_pos_inside = true) {
  Compiled c;
  rt::SessionOptions o;
  o.fuse_sam_attention = fuse;
  o.fuse_attention_rel_pos = rel_pos_inside;
  o.reference_kernels_only = ref_only;
  o.threads = 2;
  auto s = rt::Session::Create(std::move(model), backends::DefaultRegistry(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return c;
  c.attention_nodes = c.softmax_nodes = c.folded_nodes = c.layout_nodes = c.einsum_nodes = c.table_nodes = 0;
  c.split_outputs = 0;
  for (const auto& n : (*s)->model().graph.nodes) {
    c.attention_nodes += n.op_type == "Attention" && n.domain == "com.samq";
    c.folded_nodes += n.op_type == "Attention" && n.attr("layout_dims") != nullptr;
    c.layout_nodes += n.op_type == "Transpose" || n.op_type == "Split";
    c.softmax_nodes += n.op_type == "Softmax";
    c.einsum_nodes += n.op_type == "Einsum";
    c.table_nodes += n.op_type == "Attention" && n.inputs.size() == 8 && !n.inputs[6].empty();
    if (n.op_type == "Split")
      for (const auto& o : n.outputs) c.split_outputs += !o.empty();
  }
  auto r = (*s)->Run(feeds);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (r.ok()) c.out = std::move(r).value();
  return c;
}

void ExpectSame(const Tensor& want, const Tensor& got, double tol, const std::string& what) {
  ExpectMaxAbsDiff(want, got, tol, what);
}

TEST(SamAttentionFusion, ExportedPatternFusesAndMatchesUnfused) {
  for (bool swap_adds : {false, true}) {
    SCOPED_TRACE(swap_adds ? "rel_w added first, operands swapped" : "as exported");
    const Dims s;
    std::map<std::string, Tensor> feeds{{"q", Random({s.b, s.h * s.w, s.d}, 1)},
                                        {"k", Random({s.b, s.kh * s.kw, s.d}, 2)},
                                        {"v", Random({s.b, s.kh * s.kw, s.dv}, 3)},
                                        {"rel_h", Random({s.b, s.h, s.w, s.kh}, 4)},
                                        {"rel_w", Random({s.b, s.h, s.w, s.kw}, 5)}};
    for (bool ref_only : {false, true}) {
      SCOPED_TRACE(ref_only ? "reference kernels" : "fast kernels");
      Compiled fused = CompileAndRun(RelPosAttentionModel(s, swap_adds), feeds, true, ref_only);
      Compiled plain = CompileAndRun(RelPosAttentionModel(s, swap_adds), feeds, false, ref_only);
      EXPECT_EQ(fused.attention_nodes, 1);
      EXPECT_EQ(fused.softmax_nodes, 0);
      EXPECT_EQ(plain.attention_nodes, 0);
      // Float32 summation order differs from the unfused graph (the reference kernels: double).
      ExpectSame(plain.out["y"], fused.out["y"], ref_only ? 1e-6 : 1e-5, "fused vs unfused");
    }
  }
}

TEST(SamAttentionFusion, ScoresReadElsewhereStayUnfused) {
  const Dims s;
  std::map<std::string, Tensor> feeds{{"q", Random({s.b, s.h * s.w, s.d}, 1)},
                                      {"k", Random({s.b, s.kh * s.kw, s.d}, 2)},
                                      {"v", Random({s.b, s.kh * s.kw, s.dv}, 3)},
                                      {"rel_h", Random({s.b, s.h, s.w, s.kh}, 4)},
                                      {"rel_w", Random({s.b, s.h, s.w, s.kw}, 5)}};
  Compiled c = CompileAndRun(RelPosAttentionModel(s, false, true), feeds, true, false);
  EXPECT_EQ(c.attention_nodes, 0);
  EXPECT_EQ(c.softmax_nodes, 1);
  EXPECT_EQ(c.out.count("p"), 1u);
}

// sam-vit-mini (depth 2: one windowed and one global block): one Attention node per block (one
// per Softmax of the original file), and the same embedding as the unfused session and as the
// stored PyTorch output (fixtures/README.md: max abs <= 1e-4).
TEST(SamAttentionFusion, FiresOncePerBlockOnSamVitMini) {
  SAMQ_REQUIRE_FIXTURES();
  const auto dir = FixturesDir() / "sam-vit-mini";
  SAMQ_REQUIRE_PATH(dir / "encoder.onnx");
  auto rgb = io::ReadNpy(dir / "cases/resized_rgb_u8.npy");
  auto want = io::ReadNpy(dir / "cases/image_embeddings.npy");
  ASSERT_TRUE(rgb.ok() && want.ok());
  const Tensor image = SamPreprocess(*rgb, 1024);
  auto load = [&] {
    auto m = onnx::LoadModel(dir / "encoder.onnx");
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? std::move(m->model) : ir::Model{};
  };
  ir::Model original = load();
  int softmaxes = 0;
  for (const auto& n : original.graph.nodes) softmaxes += n.op_type == "Softmax";
  ASSERT_EQ(softmaxes, 2);
  Compiled fused = CompileAndRun(load(), {{"image", image}}, true, false);
  Compiled plain = CompileAndRun(load(), {{"image", image}}, false, false);
  // The rel-pos Einsums moved inside (passes/fuse_attention_rel_pos) or left outside.
  Compiled outside = CompileAndRun(load(), {{"image", image}}, true, false, false);
  EXPECT_EQ(fused.attention_nodes, softmaxes);
  EXPECT_EQ(fused.softmax_nodes, 0);
  EXPECT_EQ(fused.table_nodes, softmaxes);
  EXPECT_EQ(fused.einsum_nodes, 0);
  EXPECT_EQ(outside.table_nodes, 0);
  EXPECT_EQ(outside.einsum_nodes, 2 * softmaxes);
  ASSERT_EQ(fused.out.size(), 1u);
  const std::string name = fused.out.begin()->first;
  ExpectSame(plain.out[name], fused.out[name], 1e-4, "fused vs unfused");
  ExpectSame(outside.out[name], fused.out[name], 1e-4, "rel-pos inside vs outside the attention");
  ExpectSame(*want, fused.out[name], 1e-4, "fused vs PyTorch");
  auto d = CompareTensors(plain.out[name], fused.out[name]);
  std::printf("[sam-attention] sam-vit-mini fused vs unfused: max abs %.3g\n", d.max_abs);
}

// Plain attention as Hiera (SAM 2) and TinyViT (MobileSAM) export it: qkv [B, N, 3, heads, d]
// split, Q and V transposed to [B, heads, N, d], K to [B, heads, d, N] (perm 0,2,3,1), scores
// scaled by Mul (or Div), an optional constant per-head bias [heads, N, N], Softmax, times V.
struct PlainDims {
  int64_t b = 2, heads = 3, nq = 20, nk = 20, d = 8;
};

ir::Model PlainAttentionModel(const PlainDims& s, bool bias, bool div) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.producer_name = "samq-tests";
  ir::Graph& g = m.graph;
  g.name = "plain_attention";
  g.inputs = {Value("q", {s.b, s.nq, s.heads, s.d}), Value("k", {s.b, s.nk, s.heads, s.d}),
              Value("v", {s.b, s.nk, s.heads, s.d})};
  g.outputs = {Value("y", {s.b, s.heads, s.nq, s.d})};
  g.initializers["c"] = Tensor::FromVector<float>({}, {div ? 2.8284271f : 0.35355339f});
  g.initializers["bias"] = Random({s.heads, s.nq, s.nk}, 9);
  ir::Attribute axis;
  axis.name = "axis";
  axis.type = ir::AttrType::kInt;
  axis.i = -1;
  g.nodes = {N("Transpose", {"q"}, "qt", {Ints("perm", {0, 2, 1, 3})}),
             N("Transpose", {"k"}, "kt", {Ints("perm", {0, 2, 3, 1})}),
             N("Transpose", {"v"}, "vt", {Ints("perm", {0, 2, 1, 3})}), N("MatMul", {"qt", "kt"}, "s"),
             N(div ? "Div" : "Mul", {"s", "c"}, "ss")};
  if (bias) g.nodes.push_back(N("Add", {"bias", "ss"}, "sb"));
  g.nodes.push_back(N("Softmax", {bias ? "sb" : "ss"}, "p", {axis}));
  g.nodes.push_back(N("MatMul", {"p", "vt"}, "y"));
  return m;
}

TEST(SamAttentionFusion, PlainPatternFusesAndMatchesUnfused) {
  for (bool bias : {false, true})
    for (bool div : {false, true}) {
      SCOPED_TRACE(::testing::Message() << (bias ? "bias" : "no bias") << (div ? ", Div" : ", Mul"));
      PlainDims s;
      std::map<std::string, Tensor> feeds{{"q", Random({s.b, s.nq, s.heads, s.d}, 1)},
                                          {"k", Random({s.b, s.nk, s.heads, s.d}, 2)},
                                          {"v", Random({s.b, s.nk, s.heads, s.d}, 3)}};
      for (bool ref_only : {false, true}) {
        SCOPED_TRACE(ref_only ? "reference kernels" : "fast kernels");
        Compiled fused = CompileAndRun(PlainAttentionModel(s, bias, div), feeds, true, ref_only);
        Compiled plain = CompileAndRun(PlainAttentionModel(s, bias, div), feeds, false, ref_only);
        EXPECT_EQ(fused.attention_nodes, 1);
        // Q, K and V are read through their Transposes (strided views of the inputs).
        EXPECT_EQ(fused.folded_nodes, 1);
        EXPECT_EQ(fused.layout_nodes, 0);
        EXPECT_EQ(fused.softmax_nodes, 0);
        EXPECT_EQ(plain.attention_nodes, 0);
        ExpectSame(plain.out["y"], fused.out["y"], ref_only ? 1e-6 : 1e-5, "fused vs unfused");
      }
    }
}

// A Hiera block's attention as exported, around the plain pattern: qkv [B, N, 3 * heads * d]
// -> Reshape [B, N, 3, heads, d] -> Split (axis 2) -> Squeeze -> Transpose (K: 0,2,3,1), and after
// it Y -> Transpose [B, N, heads, d] -> Reshape [B, N, heads * d]. The fold must make the
// Attention read qkv and write y directly (no layout op left) and give the unfused result.
// `q_read_elsewhere`: Q (before its Transpose) is also read by another node, as Hiera's q-pool
// blocks pool it: the Split then stays for Q alone.
ir::Model PackedQkvAttentionModel(const PlainDims& s, bool q_read_elsewhere = false) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.producer_name = "samq-tests";
  ir::Graph& g = m.graph;
  g.name = "packed_qkv_attention";
  const int64_t c = s.heads * s.d;
  g.inputs = {Value("qkv", {s.b, s.nq, 3 * c})};
  g.outputs = {Value("y", {s.b, s.nq, c})};
  g.initializers["c"] = Tensor::FromVector<float>({}, {0.35355339f});
  g.initializers["shape5"] = Tensor::FromVector<int64_t>({5}, {s.b, s.nq, 3, s.heads, s.d});
  g.initializers["shape3"] = Tensor::FromVector<int64_t>({3}, {s.b, s.nq, c});
  g.initializers["axis2"] = Tensor::FromVector<int64_t>({1}, {2});
  ir::Attribute split_axis, softmax_axis;
  split_axis.name = "axis";
  split_axis.type = ir::AttrType::kInt;
  split_axis.i = 2;
  softmax_axis = split_axis;
  softmax_axis.i = -1;
  ir::Node split = N("Split", {"qkv5"}, "q5", {split_axis});
  split.outputs = {"q5", "k5", "v5"};
  g.nodes = {N("Reshape", {"qkv", "shape5"}, "qkv5"),
             split,
             N("Squeeze", {"q5", "axis2"}, "q4"),
             N("Squeeze", {"k5", "axis2"}, "k4"),
             N("Squeeze", {"v5", "axis2"}, "v4"),
             N("Transpose", {"q4"}, "qt", {Ints("perm", {0, 2, 1, 3})}),
             N("Transpose", {"k4"}, "kt", {Ints("perm", {0, 2, 3, 1})}),
             N("Transpose", {"v4"}, "vt", {Ints("perm", {0, 2, 1, 3})}),
             N("MatMul", {"qt", "kt"}, "s"),
             N("Mul", {"s", "c"}, "ss"),
             N("Softmax", {"ss"}, "p", {softmax_axis}),
             N("MatMul", {"p", "vt"}, "yt"),
             N("Transpose", {"yt"}, "y4", {Ints("perm", {0, 2, 1, 3})}),
             N("Reshape", {"y4", "shape3"}, "y")};
  if (q_read_elsewhere) {
    g.nodes.push_back(N("Relu", {"q4"}, "q_relu"));
    g.outputs.push_back(Value("q_relu", {s.b, s.nq, s.heads, s.d}));
  }
  return m;
}

TEST(SamAttentionFusion, PackedQkvIsReadAndWrittenInPlace) {
  // d = 16 reads V in place; d = 8 (Dv not a multiple of 16) copies it.
  for (int64_t d : {16, 8}) {
    SCOPED_TRACE(::testing::Message() << "d " << d);
    PlainDims s;
    s.d = d;
    s.nq = s.nk = 30;
    std::map<std::string, Tensor> feeds{{"qkv", Random({s.b, s.nq, 3 * s.heads * s.d}, 4)}};
    for (bool ref_only : {false, true}) {
      SCOPED_TRACE(ref_only ? "reference kernels" : "fast kernels");
      Compiled fused = CompileAndRun(PackedQkvAttentionModel(s), feeds, true, ref_only);
      Compiled plain = CompileAndRun(PackedQkvAttentionModel(s), feeds, false, ref_only);
      EXPECT_EQ(fused.folded_nodes, 1);
      EXPECT_EQ(fused.layout_nodes, 0);
      EXPECT_EQ(plain.layout_nodes, 5);
      ExpectSame(plain.out["y"], fused.out["y"], ref_only ? 1e-6 : 1e-5, "folded vs unfused");
    }
    // Q's Squeeze is read elsewhere (Hiera's q-pool blocks): the Split stays but writes Q only,
    // K and V are read out of qkv in place; the results still agree.
    for (bool ref_only : {false, true}) {
      SCOPED_TRACE(ref_only ? "Q read elsewhere, reference kernels" : "Q read elsewhere, fast kernels");
      Compiled fused = CompileAndRun(PackedQkvAttentionModel(s, true), feeds, true, ref_only);
      Compiled plain = CompileAndRun(PackedQkvAttentionModel(s, true), feeds, false, ref_only);
      EXPECT_EQ(fused.folded_nodes, 1);
      EXPECT_EQ(fused.layout_nodes, 1);  // the Split
      EXPECT_EQ(fused.split_outputs, 1);
      EXPECT_EQ(plain.split_outputs, 3);
      ExpectSame(plain.out["y"], fused.out["y"], ref_only ? 1e-6 : 1e-5, "folded vs unfused, Q read elsewhere");
      ExpectSame(plain.out["q_relu"], fused.out["q_relu"], 0, "Q read elsewhere");
    }
  }
}

// A full-size fixture encoder (one Attention per Softmax of the file) against the unfused
// session and the stored PyTorch outputs (fixtures/README.md; the parity tests' 1e-4 bound).
void ExpectFusesEveryAttention(const std::string& model, const Tensor& image,
                               const std::map<std::string, std::string>& want_files) {
  const auto dir = FixturesDir() / model;
  auto load = [&] {
    auto m = onnx::LoadModel(dir / "encoder.onnx");
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? std::move(m->model) : ir::Model{};
  };
  ir::Model original = load();
  int softmaxes = 0;
  for (const auto& n : original.graph.nodes) softmaxes += n.op_type == "Softmax";
  Compiled fused = CompileAndRun(load(), {{"image", image}}, true, false);
  Compiled plain = CompileAndRun(load(), {{"image", image}}, false, false);
  EXPECT_EQ(fused.attention_nodes, softmaxes);
  EXPECT_EQ(fused.softmax_nodes, 0);
  // Every attention reads its operands out of the qkv projection (no Split left for them) and
  // writes into the output projection's input.
  EXPECT_EQ(fused.folded_nodes, softmaxes);
  std::printf("[sam-attention] %s: %d Transpose/Split nodes unfused, %d after folding\n", model.c_str(),
              plain.layout_nodes, fused.layout_nodes);
  EXPECT_LT(fused.layout_nodes, plain.layout_nodes);
  for (const auto& [name, file] : want_files) {
    auto want = io::ReadNpy(dir / "cases" / file);
    ASSERT_TRUE(want.ok()) << file;
    ExpectSame(plain.out[name], fused.out[name], 1e-4, model + " " + name + " fused vs unfused");
    ExpectSame(*want, fused.out[name], 1e-4, model + " " + name + " fused vs PyTorch");
    auto d = CompareTensors(plain.out[name], fused.out[name]);
    std::printf("[sam-attention] %s %s fused vs unfused: max abs %.3g\n", model.c_str(), name.c_str(), d.max_abs);
  }
}

TEST(SamAttentionFusion, FiresOnEveryBlockOfSam2Mini) {
  SAMQ_REQUIRE_FIXTURES();
  const auto dir = FixturesDir() / "sam2-mini";
  SAMQ_REQUIRE_PATH(dir / "encoder.onnx");
  auto image = io::ReadNpy(dir / "cases/encoder_in_image.npy");
  ASSERT_TRUE(image.ok());
  ExpectFusesEveryAttention("sam2-mini", *image,
                            {{"high_res_feats_0", "high_res_feats_0.npy"},
                             {"high_res_feats_1", "high_res_feats_1.npy"},
                             {"image_embed", "image_embed.npy"}});
}

TEST(SamAttentionFusion, FiresOnEveryBlockOfMobileSam) {
  SAMQ_REQUIRE_FIXTURES();
  const auto dir = FixturesDir() / "mobilesam";
  SAMQ_REQUIRE_PATH(dir / "encoder.onnx");
  auto rgb = io::ReadNpy(dir / "cases/resized_rgb_u8.npy");
  ASSERT_TRUE(rgb.ok());
  ExpectFusesEveryAttention("mobilesam", SamPreprocess(*rgb, 1024), {{"image_embeddings", "image_embeddings.npy"}});
}

}  // namespace
}  // namespace samq::testing
