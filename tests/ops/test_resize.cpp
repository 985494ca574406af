// Resize on hand-derived values: each case states the coordinate each output reads
// (x_original from the ONNX formula for its coordinate_transformation_mode) and the weights.
// The configurations the SAM graphs use are also checked against ONNX Runtime in
// tests/oracles/cases_shape.py.
#include <cmath>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

// Opset-13+ Resize: inputs (X, roi, scales, sizes); nullptr = omitted.
Tensor Resize(const Tensor& x, const Tensor* scales, const Tensor* sizes, std::vector<ir::Attribute> attrs,
              int64_t opset = 19, const Tensor* roi = nullptr) {
  return Run1("Resize", {&x, roi, scales, sizes}, std::move(attrs), opset);
}
std::string ResizeError(const Tensor& x, const Tensor* scales, const Tensor* sizes, std::vector<ir::Attribute> attrs,
                        int64_t opset = 19) {
  return RunError("Resize", {&x, nullptr, scales, sizes}, std::move(attrs), opset);
}

Tensor Ramp(Shape s) {
  Tensor t = Tensor::Zeros(DType::kFloat32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(ResizeOp, NearestAsymmetricFloorTimesTwo) {
  // SAM 2 FPN: nearest, asymmetric, floor, scales [1,1,2,2]: x_original = x / 2, floor.
  Tensor x = F({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6}), sc = F({4}, {1, 1, 2, 2});
  ExpectTensor(Resize(x, &sc, nullptr, {AttrS("mode", "nearest"), AttrS("coordinate_transformation_mode", "asymmetric"),
                                        AttrS("nearest_mode", "floor")}, 17),
               DType::kFloat32, {1, 1, 4, 6},
               {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6});
}

TEST(ResizeOp, NearestModesAtHalfwayPoints) {
  // Rank 1, asymmetric x2: x_original = 0, .5, 1, 1.5, 2, 2.5 on [10, 20, 30].
  Tensor x = F({3}, {10, 20, 30}), sc = F({1}, {2});
  auto run = [&](const char* nm) {
    return Resize(x, &sc, nullptr, {AttrS("coordinate_transformation_mode", "asymmetric"), AttrS("nearest_mode", nm)});
  };
  ExpectTensor(run("round_prefer_floor"), DType::kFloat32, {6}, {10, 10, 20, 20, 30, 30});
  ExpectTensor(run("round_prefer_ceil"), DType::kFloat32, {6}, {10, 20, 20, 30, 30, 30});  // 2.5 -> 3 clamps to 2
  ExpectTensor(run("floor"), DType::kFloat32, {6}, {10, 10, 20, 20, 30, 30});
  ExpectTensor(run("ceil"), DType::kFloat32, {6}, {10, 20, 20, 30, 30, 30});
  // Default half_pixel + round_prefer_floor: x_original = (x + .5) / 2 - .5 = -.25, .25, .75, ...
  ExpectTensor(Resize(x, &sc, nullptr, {}), DType::kFloat32, {6}, {10, 10, 20, 20, 30, 30});
}

TEST(ResizeOp, LinearCoordinateModes) {
  Tensor x = F({1, 1, 1, 2}, {0, 4}), sc = F({4}, {1, 1, 1, 2});
  // half_pixel x2: x_original = -.25, .25, .75, 1.25, clamped to [0, 1] -> 0, 1, 3, 4.
  ExpectTensor(Resize(x, &sc, nullptr, {AttrS("mode", "linear")}), DType::kFloat32, {1, 1, 1, 4}, {0, 1, 3, 4}, 1e-6);
  // align_corners to 3: x_original = x * (2 - 1) / (3 - 1) = 0, .5, 1.
  Tensor s3 = I64({4}, {1, 1, 1, 3});
  ExpectTensor(Resize(x, nullptr, &s3, {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", "align_corners")}),
               DType::kFloat32, {1, 1, 1, 3}, {0, 2, 4}, 1e-6);
  // asymmetric x2: x / 2 = 0, .5, 1, 1.5 -> 0, 2, 4, 4.
  ExpectTensor(Resize(x, &sc, nullptr, {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", "asymmetric")}),
               DType::kFloat32, {1, 1, 1, 4}, {0, 2, 4, 4}, 1e-6);
  // To length 1 from [0, 2, 4]: pytorch_half_pixel reads x_original = 0; half_pixel reads
  // (0 + .5) * 3 - .5 = 1 -> 2.
  Tensor y = F({3}, {0, 2, 4}), one = I64({1}, {1});
  ExpectTensor(Resize(y, nullptr, &one, {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", "pytorch_half_pixel")}),
               DType::kFloat32, {1}, {0});
  ExpectTensor(Resize(y, nullptr, &one, {AttrS("mode", "linear")}), DType::kFloat32, {1}, {2}, 1e-6);
  // Downsample by 2 (no antialias): x_original = (x + .5) * 2 - .5 = .5, 2.5 -> midpoints.
  Tensor z = F({4}, {0, 4, 8, 12}), half = F({1}, {0.5f});
  ExpectTensor(Resize(z, &half, nullptr, {AttrS("mode", "linear")}), DType::kFloat32, {2}, {2, 10}, 1e-6);
}

TEST(ResizeOp, LinearAntialiasDownsample) {
  // Scale .5 widens the triangle filter to support 2 with argument (tap - center + .5) * .5.
  // Output 0: center 1, taps -1..2 weigh .25, .75, .75, .25; tap -1 folds onto 0 ->
  // (1, .75, .25) / 2 on [0, 4, 8] = 2.5. Output 1: center 3, taps 1..4 weigh .25, .75, .75, .25;
  // tap 4 folds onto 3 -> (.25, .75, 1) / 2 on [4, 8, 12] = 9.5.
  Tensor z = F({4}, {0, 4, 8, 12}), half = F({1}, {0.5f});
  ExpectTensor(Resize(z, &half, nullptr, {AttrS("mode", "linear"), AttrI("antialias", 1)}), DType::kFloat32, {2},
               {2.5, 9.5}, 1e-6);
  // Upsampling with antialias is plain linear.
  Tensor two = F({1}, {2});
  ExpectTensor(Resize(z, &two, nullptr, {AttrS("mode", "linear"), AttrI("antialias", 1)}), DType::kFloat32, {8},
               {0, 1, 3, 5, 7, 9, 11, 12}, 1e-6);
}

TEST(ResizeOp, CubicRampsConstantsAndEdges) {
  // Keys' kernel with a = -0.5 reproduces linear functions wherever all four taps are inside:
  // 1-D ramp 0..7 upsampled x2 (half_pixel): outputs 3..12 equal x_original = (i + .5) / 2 - .5.
  Tensor x = Ramp({8}), s16 = I64({1}, {16});
  Tensor r = Resize(x, nullptr, &s16, {AttrS("mode", "cubic"), AttrF("cubic_coeff_a", -0.5f)});
  ASSERT_EQ(r.shape(), (Shape{16}));
  for (int i = 3; i <= 12; ++i) EXPECT_NEAR(r.data<float>()[i], (i + 0.5) / 2 - 0.5, 1e-5) << i;
  // With ONNX's default a = -0.75, output 0 has x_original = -.25: taps -2..1 with coefficients
  // c(1.75), c(.75), c(.25), c(1.25); the three taps <= 0 read x[0] = 0, so the value is
  // c(1.25) = a * (((1.25-5)1.25+8)1.25-4) = -.75 * .140625 = -.10546875.
  Tensor y = Resize(x, nullptr, &s16, {AttrS("mode", "cubic")});
  EXPECT_NEAR(y.data<float>()[0], -0.10546875, 1e-6);
  // exclude_outside drops taps -2, -1: (c(.25) * 0 + c(1.25) * 1) / (c(.25) + c(1.25)) with
  // c(.25) = ((a+2)(.25) - (a+3)) .0625 + 1 = .87890625 -> -.10546875 / .7734375.
  Tensor e = Resize(x, nullptr, &s16, {AttrS("mode", "cubic"), AttrI("exclude_outside", 1)});
  EXPECT_NEAR(e.data<float>()[0], -0.10546875 / 0.7734375, 1e-6);
  // 2-D, a = -0.5: value = row + col is linear, so bicubic keeps it in the interior.
  Tensor img = Tensor::Zeros(DType::kFloat32, {1, 1, 8, 8});
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) img.data<float>()[i * 8 + j] = static_cast<float>(i + j);
  Tensor s = I64({4}, {1, 1, 16, 16});
  Tensor out = Resize(img, nullptr, &s, {AttrS("mode", "cubic"), AttrF("cubic_coeff_a", -0.5f)}, 17);
  for (int i = 3; i <= 12; ++i)
    for (int j = 3; j <= 12; ++j)
      EXPECT_NEAR(out.data<float>()[i * 16 + j], (i + 0.5) / 2 - 0.5 + (j + 0.5) / 2 - 0.5, 1e-5);
  // The EfficientViT neck config (cubic, a = -0.75, half_pixel, sizes): weights sum to 1, so a
  // constant image stays constant everywhere, edges included.
  Tensor flat = Tensor::Zeros(DType::kFloat32, {1, 2, 5, 5});
  for (int64_t i = 0; i < flat.numel(); ++i) flat.data<float>()[i] = 3.0f;
  Tensor s2 = I64({4}, {1, 2, 10, 10});
  Tensor cf = Resize(flat, nullptr, &s2, {AttrS("mode", "cubic"), AttrF("cubic_coeff_a", -0.75f),
                                          AttrS("nearest_mode", "floor")}, 17);
  ExpectTensor(cf, DType::kFloat32, {1, 2, 10, 10}, std::vector<double>(200, 3.0), 1e-6);
}

TEST(ResizeOp, BilinearMatchesDirectFormulaNchw) {
  // Separable passes vs the direct 2-D bilinear formula (half_pixel, clamped), on 2x3 planes.
  const int64_t N = 2, C = 3, H = 7, W = 9, OH = 17, OW = 5;
  Tensor x = Tensor::Zeros(DType::kFloat32, {N, C, H, W});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = std::sin(0.37f * i);
  Tensor sz = I64({4}, {N, C, OH, OW});
  Tensor y = Resize(x, nullptr, &sz, {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", "pytorch_half_pixel")});
  ASSERT_EQ(y.shape(), (Shape{N, C, OH, OW}));
  auto coord = [](int64_t o, int64_t in, int64_t out) {
    float s = static_cast<float>(out) / static_cast<float>(in);
    float c = (o + 0.5f) / s - 0.5f;
    return std::clamp(c, 0.0f, static_cast<float>(in - 1));
  };
  for (int64_t p = 0; p < N * C; ++p)
    for (int64_t oy = 0; oy < OH; ++oy)
      for (int64_t ox = 0; ox < OW; ++ox) {
        const float fy = coord(oy, H, OH), fx = coord(ox, W, OW);
        const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
        const int64_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
        const float dy = fy - y0, dx = fx - x0;
        const float* pl = x.data<float>() + p * H * W;
        const double want = (1 - dy) * ((1 - dx) * pl[y0 * W + x0] + dx * pl[y0 * W + x1]) +
                            dy * ((1 - dx) * pl[y1 * W + x0] + dx * pl[y1 * W + x1]);
        EXPECT_NEAR(y.data<float>()[(p * OH + oy) * OW + ox], want, 1e-5);
      }
}

TEST(ResizeOp, TfCropAndResizeExtrapolation) {
  // roi [.5, 1.5] on [0,1,2,3], sizes 3: x_original = .5*3 + i * 1 * 3 / 2 = 1.5, 3, 4.5;
  // 4.5 is past the last pixel -> extrapolation_value.
  Tensor x = F({4}, {0, 1, 2, 3}), roi = F({2}, {0.5f, 1.5f}), s = I64({1}, {3});
  ExpectTensor(Resize(x, nullptr, &s, {AttrS("mode", "linear"), AttrS("coordinate_transformation_mode", "tf_crop_and_resize"),
                                       AttrF("extrapolation_value", 10)}, 19, &roi),
               DType::kFloat32, {3}, {1.5, 3, 10}, 1e-6);
  ExpectTensor(Resize(x, nullptr, &s, {AttrS("coordinate_transformation_mode", "tf_crop_and_resize"),
                                       AttrF("extrapolation_value", 10)}, 19, &roi),
               DType::kFloat32, {3}, {1, 3, 10});  // nearest: round_prefer_floor(1.5) = 1
}

TEST(ResizeOp, AxesAndKeepAspectRatio) {
  Tensor x = Ramp({1, 1, 2, 4});
  // Opset 18 axes [-1]: scales only the last axis.
  Tensor two = F({1}, {2});
  EXPECT_EQ(Resize(x, &two, nullptr, {AttrInts("axes", {-1})}, 18).shape(), (Shape{1, 1, 2, 8}));
  // sizes 8x8 on axes [2,3]: per-axis scales 4 and 2; not_larger takes 2 -> 4x8, not_smaller
  // takes 4 -> 8x16 (round(scale * in)).
  Tensor s = I64({2}, {8, 8});
  EXPECT_EQ(Resize(x, nullptr, &s, {AttrInts("axes", {2, 3}), AttrS("keep_aspect_ratio_policy", "not_larger")}, 18).shape(),
            (Shape{1, 1, 4, 8}));
  EXPECT_EQ(Resize(x, nullptr, &s, {AttrInts("axes", {2, 3}), AttrS("keep_aspect_ratio_policy", "not_smaller")}, 18).shape(),
            (Shape{1, 1, 8, 16}));
  // Output size = floor(in * scale) in float32: 3 * 1.5 = 4.5 -> 4.
  Tensor y = Ramp({3}), s15 = F({1}, {1.5f});
  EXPECT_EQ(Resize(y, &s15, nullptr, {}).shape(), (Shape{4}));
}

TEST(ResizeOp, Opset10AndDtypesAndEmpty) {
  // Resize-10 (X, scales): asymmetric; nearest truncates when upsampling, ceils when shrinking.
  Tensor x = F({4}, {0, 1, 2, 3}), half = F({1}, {0.5f}), two = F({1}, {2});
  ExpectTensor(Run1("Resize", {&x, &half}, {}, 10), DType::kFloat32, {2}, {0, 2});
  ExpectTensor(Run1("Resize", {&x, &two}, {}, 10), DType::kFloat32, {8}, {0, 0, 1, 1, 2, 2, 3, 3});
  // uint8 linear: [0, 255] x2 half_pixel -> 0, 63.75, 191.25, 255, rounded to nearest.
  Tensor u = FromDoubles(DType::kUInt8, {2}, {0, 255});
  ExpectTensor(Resize(u, &two, nullptr, {AttrS("mode", "linear")}), DType::kUInt8, {4}, {0, 64, 191, 255});
  Tensor h = FromDoubles(DType::kFloat16, {2}, {1, 3});
  ExpectTensor(Resize(h, &two, nullptr, {AttrS("mode", "linear")}), DType::kFloat16, {4}, {1, 1.5, 2.5, 3});
  Tensor i = I64({2}, {7, 9});
  ExpectInt64(Resize(i, &two, nullptr, {}), DType::kInt64, {4}, {7, 7, 9, 9});
  Tensor e = Tensor::Zeros(DType::kFloat32, {1, 0, 2, 2}), s4 = F({4}, {1, 1, 2, 2});
  ExpectTensor(Resize(e, &s4, nullptr, {AttrS("mode", "linear")}), DType::kFloat32, {1, 0, 4, 4}, {});
}

TEST(ResizeOp, Errors) {
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4}), sc = F({4}, {1, 1, 2, 2}), sz = I64({4}, {1, 1, 4, 4});
  EXPECT_NE(ResizeError(x, &sc, &sz, {}).find("either scales or sizes"), std::string::npos);
  EXPECT_NE(ResizeError(x, nullptr, nullptr, {}).find("needs scales or sizes"), std::string::npos);
  EXPECT_NE(ResizeError(x, &sc, nullptr, {AttrS("mode", "area")}).find("mode 'area' is not supported"), std::string::npos);
  EXPECT_NE(ResizeError(x, &sc, nullptr, {AttrS("coordinate_transformation_mode", "bogus")}).find("not supported"),
            std::string::npos);
  Tensor short_sc = F({2}, {2, 2});
  EXPECT_NE(ResizeError(x, &short_sc, nullptr, {}).find("expected 4"), std::string::npos);
  Tensor zero = F({4}, {1, 1, 0, 2});
  EXPECT_NE(ResizeError(x, &zero, nullptr, {}).find("positive"), std::string::npos);
  Tensor b = B({2}, {0, 1}), two = F({1}, {2});
  EXPECT_NE(ResizeError(b, &two, nullptr, {AttrS("mode", "linear")}).find("bool"), std::string::npos);
}

}  // namespace
}  // namespace samq::testing::elem
