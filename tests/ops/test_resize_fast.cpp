// cpu.resize_linear_f32 (src/backends/cpu/resize_bilinear.cpp) against ref.Resize: the fast
// kernel claims the reference's numerics bit for bit on the cases it takes (same taps, weights,
// accumulation order and axis order), so the comparison is exact. The cases cover the SAM-1
// decoder's two Resizes (256->1024 with sizes, the crop -> original image size), every coordinate
// mode that reaches it, shrinking, a stretched aspect (horizontal-first order), an untouched axis,
// rank 3 and a leading batch*channel of several planes; cases the fast kernel hands back to the
// reference (antialiased shrinking) must also match.
#include <random>

#include "elementwise_test_util.h"
#include "runtime/evaluate_node.h"

namespace samq::testing::elem {
namespace {

Tensor Random(Shape s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-20.0f, 20.0f);
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

Result<Tensor> RunWith(const std::string& kernel, const Tensor& x, const Tensor& sizes,
                       std::vector<ir::Attribute> attrs) {
  ir::Node n = MakeNode("Resize", 4, std::move(attrs));
  n.inputs[1].clear();
  n.inputs[2].clear();
  rt::EvaluateOptions o;
  o.kernel = kernel;
  SAMQ_ASSIGN_OR_RETURN(auto outs, rt::EvaluateNode(backends::DefaultRegistry(), n, 17,
                                                    {&x, nullptr, nullptr, &sizes}, o));
  return outs[0];
}

void ExpectSameAsReference(Shape in, Shape out, std::vector<ir::Attribute> attrs, uint32_t seed) {
  SCOPED_TRACE(shape_str(in) + " -> " + shape_str(out));
  const Tensor x = Random(in, seed);
  const Tensor sizes = I64({static_cast<int64_t>(out.size())}, out);
  auto fast = RunWith("cpu.resize_linear_f32", x, sizes, attrs);
  auto ref = RunWith("ref.Resize", x, sizes, attrs);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  ASSERT_EQ(fast->shape(), ref->shape());
  int64_t differ = 0;
  for (int64_t i = 0; i < ref->numel(); ++i) differ += fast->data<float>()[i] != ref->data<float>()[i];
  EXPECT_EQ(differ, 0) << "of " << ref->numel() << " outputs";
}

std::vector<ir::Attribute> Linear(const char* coord) {
  return {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", coord)};
}

TEST(ResizeFast, SamDecoderUpsamplesMatchReference) {
  // The official SAM-1 export: bilinear, half_pixel (F.interpolate align_corners=False).
  ExpectSameAsReference({1, 4, 64, 64}, {1, 4, 256, 256}, Linear("half_pixel"), 1);
  ExpectSameAsReference({1, 4, 192, 256}, {1, 4, 300, 450}, Linear("half_pixel"), 2);
  ExpectSameAsReference({1, 1, 256, 256}, {1, 1, 1024, 1024}, Linear("pytorch_half_pixel"), 3);
}

TEST(ResizeFast, CoordinateModesMatchReference) {
  for (const char* c : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"})
    ExpectSameAsReference({2, 3, 17, 23}, {2, 3, 40, 31}, Linear(c), 4);
}

TEST(ResizeFast, ShrinkStretchAndUntouchedAxesMatchReference) {
  ExpectSameAsReference({1, 2, 50, 40}, {1, 2, 21, 13}, Linear("half_pixel"), 5);    // shrink, 2 taps
  ExpectSameAsReference({1, 1, 10, 12}, {1, 1, 80, 15}, Linear("half_pixel"), 6);    // columns first
  ExpectSameAsReference({1, 3, 16, 16}, {1, 3, 16, 40}, Linear("half_pixel"), 7);    // rows untouched
  ExpectSameAsReference({5, 9, 7}, {5, 20, 3}, Linear("align_corners"), 8);           // rank 3
  ExpectSameAsReference({1, 1, 1, 9}, {1, 1, 4, 9}, Linear("half_pixel"), 9);        // one input row
}

TEST(ResizeFast, AntialiasedShrinkFallsBackToReference) {
  auto attrs = Linear("half_pixel");
  attrs.push_back(AttrI("antialias", 1));
  ExpectSameAsReference({1, 2, 40, 40}, {1, 2, 13, 17}, attrs, 10);  // widened filter: reference path
  ExpectSameAsReference({1, 2, 10, 10}, {1, 2, 23, 17}, attrs, 11);  // upsampling: fast path
}

TEST(ResizeFast, DeclinesOtherModes) {
  const Tensor x = Random({1, 1, 4, 4}, 12), sizes = I64({4}, {1, 1, 8, 8});
  auto r = RunWith("cpu.resize_linear_f32", x, sizes, {AttrS("mode", "nearest")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not linear"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace samq::testing::elem
