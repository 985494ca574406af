// onednn.deconv_gemm_f32 (src/backends/cpu/deconv_gemm.cpp) against ref.ConvTranspose: kernel ==
// stride ConvTransposes as one GEMM plus an interleaving copy. The sums run in a different order
// than the reference's, so the comparison is relative to the output's scale (float32 rounding).
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

ir::Node Deconv(std::vector<int64_t> kernel, std::vector<ir::Attribute> extra = {}, int inputs = 3) {
  std::vector<ir::Attribute> attrs{AttrInts("kernel_shape", kernel), AttrInts("strides", kernel)};
  for (auto& a : extra) attrs.push_back(std::move(a));
  return MakeNode("ConvTranspose", inputs, std::move(attrs));
}

void ExpectMatchesReference(Shape x_shape, int64_t co, std::vector<int64_t> k, bool bias, uint32_t seed) {
  SCOPED_TRACE(shape_str(x_shape) + " -> " + std::to_string(co) + " channels, kernel " + std::to_string(k[0]) +
               "x" + std::to_string(k[1]) + (bias ? " + bias" : ""));
  const Tensor x = Random(x_shape, seed);
  const Tensor w = Random({x_shape[1], co, k[0], k[1]}, seed + 1, 0.2f);
  const Tensor b = Random({co}, seed + 2);
  const ir::Node n = Deconv(k, {}, bias ? 3 : 2);
  std::vector<const Tensor*> ins{&x, &w};
  if (bias) ins.push_back(&b);
  const Tensor want = Eval1(n, ins, "ref.ConvTranspose");
  const Tensor got = Eval1(n, ins, "onednn.deconv_gemm_f32");
  ASSERT_TRUE(want.defined() && got.defined());
  ExpectClose(want, got, 1e-5, "deconv_gemm vs ref");
}

TEST(DeconvGemm, SamUpscalersMatchReference) {
  // The SAM mask decoder's output_upscaling (scaled-down channel counts): 2x2 stride 2, bias.
  ExpectMatchesReference({1, 64, 16, 16}, 16, {2, 2}, true, 1);
  ExpectMatchesReference({1, 16, 32, 32}, 8, {2, 2}, true, 2);
}

TEST(DeconvGemm, OtherKernelsBatchesAndNoBiasMatchReference) {
  ExpectMatchesReference({2, 5, 7, 9}, 3, {3, 3}, true, 3);   // general tap loop, batch of 2
  ExpectMatchesReference({1, 4, 6, 5}, 6, {1, 2}, false, 4);  // anisotropic, no bias
  ExpectMatchesReference({1, 3, 1, 1}, 2, {2, 2}, true, 5);   // a single pixel
}

TEST(DeconvGemm, OneKernelRunsSeveralShapes) {
  // Per-shape GEMM cache: one kernel object on two input sizes.
  const Tensor w = Random({8, 4, 2, 2}, 6, 0.2f), b = Random({4}, 7);
  const Tensor x1 = Random({1, 8, 5, 6}, 8), x2 = Random({1, 8, 9, 3}, 9);
  const ir::Node n = Deconv({2, 2});
  auto outs = RunKernelOnShapes(n, "onednn.deconv_gemm_f32", {{&x1, &w, &b}, {&x2, &w, &b}}, {false, true, true}, {2, 3});
  ASSERT_EQ(outs.size(), 2u);
  ExpectClose(Eval1(n, {&x1, &w, &b}, "ref.ConvTranspose"), outs[0], 1e-5, "shape 1");
  ExpectClose(Eval1(n, {&x2, &w, &b}, "ref.ConvTranspose"), outs[1], 1e-5, "shape 2");
}

TEST(DeconvGemm, DeclinesOverlapPaddingAndGroups) {
  const Tensor x = Random({1, 4, 5, 5}, 10), w = Random({4, 2, 3, 3}, 11), w2 = Random({4, 2, 2, 2}, 12);
  auto reason = [&](ir::Node n, const Tensor& wt) {
    return DeclineReason(n, {&x, &wt}, {false, true}, "onednn.deconv_gemm_f32");
  };
  EXPECT_NE(reason(MakeNode("ConvTranspose", 2, {AttrInts("strides", {2, 2})}), w), "");  // 3x3 stride 2 overlaps
  EXPECT_NE(reason(Deconv({2, 2}, {AttrInts("pads", {1, 1, 1, 1})}, 2), w2), "");
  EXPECT_NE(reason(Deconv({2, 2}, {AttrInts("output_padding", {1, 1})}, 2), w2), "");
  EXPECT_NE(reason(Deconv({2, 2}, {AttrI("group", 2)}, 2), w2), "");
  EXPECT_EQ(reason(Deconv({2, 2}, {}, 2), w2), "");
  // Weights that are not constant cannot be prepacked.
  EXPECT_NE(DeclineReason(Deconv({2, 2}, {}, 2), {&x, &w2}, {false, false}, "onednn.deconv_gemm_f32"), "");
}

}  // namespace
}  // namespace samq::testing::linalg
