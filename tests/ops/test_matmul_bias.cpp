// com.samq MatMulBias (src/backends/cpu/matmul_bias.h): ref.MatMulBias is exactly ref.MatMul,
// then ref.Add, then ref.Gelu; onednn.matmul_bias_f32 (bias + GELU post-op on prepacked weights)
// matches ref.MatMulBias on seeded random inputs, across several row counts on one kernel object.
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

// float32 accumulation (and oneDNN's GELU) against the
// float64 reference, relative to the output's largest magnitude.
constexpr double kRtol = 1e-4;

ir::Node MatMulBiasNode(const std::string& activation) {
  ir::Node n = MakeNode("MatMulBias", 3, {AttrS("activation", activation)});
  n.domain = "com.samq";
  return n;
}

TEST(MatMulBias, ReferenceIsAddThenGeluOfMatMul) {
  Tensor x = Random({2, 7, 9}, 1), w = Random({9, 5}, 2), b = Random({5}, 3);
  const Tensor m = Eval1(MakeNode("MatMul", 2), {&x, &w}, "ref.MatMul");
  const Tensor a = Eval1(MakeNode("Add", 2), {&m, &b}, "ref.Add");
  ExpectClose(a, Eval1(MatMulBiasNode("none"), {&x, &w, &b}, "ref.MatMulBias"), 0, "ref none");
  ir::Node gelu = MakeNode("Gelu", 1);
  gelu.domain = "com.samq";
  ExpectClose(Eval1(gelu, {&a}, "ref.Gelu"), Eval1(MatMulBiasNode("gelu"), {&x, &w, &b}, "ref.MatMulBias"), 0,
              "ref gelu");
}

TEST(MatMulBias, BiasOfHigherRankPrependsOnes) {
  Tensor x = Random({7, 9}, 4), w = Random({9, 5}, 5), b = Random({1, 1, 5}, 6);
  const Tensor got = Eval1(MatMulBiasNode("none"), {&x, &w, &b}, "ref.MatMulBias");
  EXPECT_EQ(got.shape(), (Shape{1, 7, 5}));
}

TEST(MatMulBias, OnednnMatchesReference) {
  struct Case {
    int64_t k, n;
    std::vector<Shape> xs;  // run in turn on one kernel object
  };
  const std::vector<Case> cases = {{9, 5, {{2, 7, 9}, {1, 3, 9}, {13, 9}}},
                                   {64, 96, {{1, 50, 64}, {2, 8, 8, 64}}},
                                   {768, 3072, {{1, 64, 768}}},  // ViT-B MLP widths
                                   {3072, 768, {{1, 2, 16, 3072}}}};
  uint32_t seed = 20;
  for (const char* act : {"none", "gelu"})
    for (const Case& c : cases) {
      Tensor w = Random({c.k, c.n}, seed++, 1.0f / std::sqrt(static_cast<float>(c.k)));
      Tensor b = Random({c.n}, seed++);
      std::vector<Tensor> xs;
      for (const Shape& s : c.xs) xs.push_back(Random(s, seed++));
      std::vector<std::vector<const Tensor*>> sets;
      for (const Tensor& x : xs) sets.push_back({&x, &w, &b});
      const ir::Node node = MatMulBiasNode(act);
      auto got = RunKernelOnShapes(node, "onednn.matmul_bias_f32", sets, {false, true, true});
      ASSERT_EQ(got.size(), xs.size());
      for (size_t i = 0; i < xs.size(); ++i)
        ExpectClose(Eval1(node, sets[i], "ref.MatMulBias"), got[i], kRtol,
                    std::string(act) + " " + shape_str(xs[i].shape()) + " x " + shape_str(w.shape()));
    }
}

}  // namespace
}  // namespace samq::testing::linalg
