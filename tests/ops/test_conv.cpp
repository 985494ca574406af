// Conv, ConvTranspose, pooling and normalization: hand-derived values on the reference kernels,
// output-size rules (pads, strides, dilations, auto_pad, ceil_mode), static inference, errors,
// and the oneDNN kernels against the reference on seeded random configurations and the real
// SAM layer shapes.
//
// Tolerance for oneDNN vs reference: 1e-4 relative to the output's largest magnitude (the
// reference accumulates in float64, oneDNN in float32 over at most C/g * kh * kw = 3072 terms).
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

constexpr double kFastRtol = 1e-4;

// x = [[0,1,2],[3,4,5],[6,7,8]] as 1x1x3x3.
Tensor Iota33() { return F({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}); }
Tensor Ones(Shape s) {
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = 1;
  return t;
}

ir::Node ConvNode(std::vector<ir::Attribute> attrs, int inputs = 2, const char* op = "Conv") {
  return MakeNode(op, inputs, std::move(attrs));
}

TEST(Conv, WindowSumsWithPadsStridesDilations) {
  Tensor x = Iota33(), k2 = Ones({1, 1, 2, 2}), k3 = Ones({1, 1, 3, 3});
  // 2x2 box sums without padding.
  ExpectTensor(Eval1(ConvNode({}), {&x, &k2}, "ref.Conv"), DType::kFloat32, {1, 1, 2, 2}, {8, 12, 20, 24});
  // 3x3 box sums with one pixel of zero padding: the 3x3 neighbourhood sums.
  ExpectTensor(Eval1(ConvNode({AttrInts("pads", {1, 1, 1, 1})}), {&x, &k3}, "ref.Conv"), DType::kFloat32,
               {1, 1, 3, 3}, {8, 15, 12, 21, 36, 27, 20, 33, 24});
  // The same with stride 2 keeps the corners.
  ExpectTensor(Eval1(ConvNode({AttrInts("pads", {1, 1, 1, 1}), AttrInts("strides", {2, 2})}), {&x, &k3}),
               DType::kFloat32, {1, 1, 2, 2}, {8, 12, 20, 24});
  // Dilation 2 spreads the 2x2 kernel over the corners: 0 + 2 + 6 + 8.
  ExpectTensor(Eval1(ConvNode({AttrInts("dilations", {2, 2})}), {&x, &k2}), DType::kFloat32, {1, 1, 1, 1}, {16});
  // Bias adds per output channel.
  Tensor bias = F({1}, {0.5f});
  ExpectTensor(Eval1(ConvNode({}, 3), {&x, &k2, &bias}), DType::kFloat32, {1, 1, 2, 2}, {8.5, 12.5, 20.5, 24.5});
  // Asymmetric pads: top 1, left 0, bottom 0, right 1 with the 2x2 kernel.
  ExpectTensor(Eval1(ConvNode({AttrInts("pads", {1, 0, 0, 1})}), {&x, &k2}), DType::kFloat32, {1, 1, 3, 3},
               {1, 3, 2, 8, 12, 7, 20, 24, 13});
}

TEST(Conv, AutoPad) {
  Tensor x = Iota33(), k2 = Ones({1, 1, 2, 2});
  // SAME_UPPER: output 3x3, the one pad pixel at the end.
  ExpectTensor(Eval1(ConvNode({AttrS("auto_pad", "SAME_UPPER")}), {&x, &k2}), DType::kFloat32, {1, 1, 3, 3},
               {8, 12, 7, 20, 24, 13, 13, 15, 8});
  // SAME_LOWER: the pad pixel at the beginning.
  ExpectTensor(Eval1(ConvNode({AttrS("auto_pad", "SAME_LOWER")}), {&x, &k2}), DType::kFloat32, {1, 1, 3, 3},
               {0, 1, 3, 3, 8, 12, 9, 20, 24});
  // VALID ignores pads.
  ExpectTensor(Eval1(ConvNode({AttrS("auto_pad", "VALID"), AttrInts("pads", {1, 1, 1, 1})}), {&x, &k2}),
               DType::kFloat32, {1, 1, 2, 2}, {8, 12, 20, 24});
  // SAME with stride 2 on 3x3: ceil(3/2) = 2 outputs, total pad (2-1)*2+2-3 = 1 at the end.
  ExpectTensor(Eval1(ConvNode({AttrS("auto_pad", "SAME_UPPER"), AttrInts("strides", {2, 2})}), {&x, &k2}),
               DType::kFloat32, {1, 1, 2, 2}, {8, 7, 13, 8});
}

TEST(Conv, ChannelsAndGroups) {
  // Two input channels, one output: channel 0 minus channel 1.
  Tensor x = F({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  Tensor w = F({1, 2, 1, 1}, {1, -1});
  ExpectTensor(Eval1(ConvNode({}), {&x, &w}), DType::kFloat32, {1, 1, 2, 2}, {-9, -18, -27, -36});
  // group = 2 (depthwise): each channel scaled by its own weight.
  Tensor wd = F({2, 1, 1, 1}, {2, 3});
  ExpectTensor(Eval1(ConvNode({AttrI("group", 2)}), {&x, &wd}), DType::kFloat32, {1, 2, 2, 2},
               {2, 4, 6, 8, 30, 60, 90, 120});
  // Batch of two: the second image is the first times 10.
  Tensor xb = F({2, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 20, 30, 40, 50, 60, 70, 80});
  Tensor k2 = Ones({1, 1, 2, 2});
  ExpectTensor(Eval1(ConvNode({}), {&xb, &k2}), DType::kFloat32, {2, 1, 2, 2}, {8, 12, 20, 24, 80, 120, 200, 240});
}

TEST(Conv, OneAndThreeSpatialDims) {
  // 1-D: x[i] - x[i+2].
  Tensor x1 = F({1, 1, 5}, {1, 2, 3, 4, 5}), w1 = F({1, 1, 3}, {1, 0, -1});
  ExpectTensor(Eval1(ConvNode({}), {&x1, &w1}), DType::kFloat32, {1, 1, 3}, {-2, -2, -2});
  // 1-D with stride 2 and pads 1: windows start at -1, 1, 3: x[-1]-x[1], x[1]-x[3], x[3]-x[5],
  // with x[-1] = x[5] = 0 (padding).
  ExpectTensor(Eval1(ConvNode({AttrInts("pads", {1, 1}), AttrInts("strides", {2})}), {&x1, &w1}),
               DType::kFloat32, {1, 1, 3}, {-2, -2, 4});
  // 3-D: a 2x2x2 box sum over 0..7 = 28.
  Tensor x3 = F({1, 1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}), w3 = Ones({1, 1, 2, 2, 2});
  ExpectTensor(Eval1(ConvNode({}), {&x3, &w3}), DType::kFloat32, {1, 1, 1, 1, 1}, {28});
  // float64 and float16 run on the reference.
  Tensor xd = elem::FromDoubles(DType::kFloat64, {1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor wdd = elem::FromDoubles(DType::kFloat64, {1, 1, 3}, {1, 0, -1});
  ExpectTensor(Eval1(ConvNode({}), {&xd, &wdd}), DType::kFloat64, {1, 1, 3}, {-2, -2, -2});
  Tensor xh = elem::FromDoubles(DType::kFloat16, {1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor wh = elem::FromDoubles(DType::kFloat16, {1, 1, 3}, {1, 0, -1});
  ExpectTensor(Eval1(ConvNode({}), {&xh, &wh}), DType::kFloat16, {1, 1, 3}, {-2, -2, -2});
}

TEST(Conv, ErrorsNameTheProblem) {
  Tensor x = Iota33(), w = Ones({1, 2, 2, 2});
  auto msg = [](Result<std::vector<Tensor>> r) {
    EXPECT_FALSE(r.ok());
    if (!r.ok()) { EXPECT_EQ(r.status().kind(), ErrorKind::kUser); }
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(msg(Eval(ConvNode({}), {&x, &w})).find("channels"), std::string::npos);
  Tensor k2 = Ones({1, 1, 2, 2});
  EXPECT_NE(msg(Eval(ConvNode({AttrS("auto_pad", "FOO")}), {&x, &k2})).find("auto_pad 'FOO'"), std::string::npos);
  Tensor k5 = Ones({1, 1, 5, 5});
  EXPECT_NE(msg(Eval(ConvNode({}), {&x, &k5})).find("smaller than the dilated kernel"), std::string::npos);
  EXPECT_NE(msg(Eval(ConvNode({AttrInts("strides", {1})}), {&x, &k2})).find("'strides'"), std::string::npos);
  EXPECT_NE(msg(Eval(ConvNode({AttrInts("kernel_shape", {3, 3})}), {&x, &k2})).find("kernel_shape"), std::string::npos);
}

TEST(Conv, StaticInferenceWithUnknownDims) {
  const rt::OpSchema* schema = backends::DefaultRegistry().Find("", "Conv");
  ASSERT_NE(schema, nullptr);
  ir::Node node = ConvNode({AttrInts("pads", {1, 1, 1, 1}), AttrInts("strides", {2, 2})});
  auto infer = [&](rt::TensorType x) {
    rt::InferContext ctx(node, 17, {x, {DType::kFloat32, true, {8, 3, 3, 3}}}, {nullptr, nullptr});
    Status st = schema->infer(ctx);
    EXPECT_TRUE(st.ok()) << st.message();
    return ctx.output_types()[0];
  };
  EXPECT_EQ(infer({DType::kFloat32, true, {-1, 3, -1, -1}}).dims, (Shape{-1, 8, -1, -1}));
  EXPECT_EQ(infer({DType::kFloat32, true, {1, 3, 1024, -1}}).dims, (Shape{1, 8, 512, -1}));
  auto t = infer({DType::kFloat32, false, {}});  // rank taken from the weights
  EXPECT_TRUE(t.rank_known);
  EXPECT_EQ(t.dims, (Shape{-1, 8, -1, -1}));
}

TEST(ConvTranspose, HandDerived) {
  Tensor x = F({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor w = F({1, 1, 2, 2}, {1, 10, 100, 1000});
  // Stride 2 with a 2x2 kernel tiles x[i][j] * W without overlap.
  ExpectTensor(Eval1(ConvNode({AttrInts("strides", {2, 2})}, 2, "ConvTranspose"), {&x, &w}, "ref.ConvTranspose"),
               DType::kFloat32, {1, 1, 4, 4},
               {1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000});
  // Stride 1 with a ones kernel: overlapping scatter ("full" correlation).
  Tensor ones = Ones({1, 1, 2, 2});
  ExpectTensor(Eval1(ConvNode({}, 2, "ConvTranspose"), {&x, &ones}), DType::kFloat32, {1, 1, 3, 3},
               {1, 3, 2, 4, 10, 6, 3, 7, 4});
  // Pads crop the full output: only the centre remains.
  ExpectTensor(Eval1(ConvNode({AttrInts("pads", {1, 1, 1, 1})}, 2, "ConvTranspose"), {&x, &ones}),
               DType::kFloat32, {1, 1, 1, 1}, {10});
  // output_padding adds a row and column at the end (bias only there).
  Tensor bias = F({1}, {0.5f});
  ExpectTensor(Eval1(ConvNode({AttrInts("strides", {2, 2}), AttrInts("output_padding", {1, 1})}, 3, "ConvTranspose"),
                     {&x, &ones, &bias}),
               DType::kFloat32, {1, 1, 5, 5},
               {1.5, 1.5, 2.5, 2.5, 0.5, 1.5, 1.5, 2.5, 2.5, 0.5, 3.5, 3.5, 4.5, 4.5, 0.5,
                3.5, 3.5, 4.5, 4.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
  // output_shape 2x2 from the stride-1 3x3 result: total pad 1, split begin 1 / end 0 (NOTSET
  // puts the odd pixel at the beginning).
  ExpectTensor(Eval1(ConvNode({AttrInts("output_shape", {2, 2})}, 2, "ConvTranspose"), {&x, &ones}),
               DType::kFloat32, {1, 1, 2, 2}, {10, 6, 7, 4});
  // Groups: channel c scaled by W[c].
  Tensor xg = F({1, 2, 1, 1}, {1, 2}), wg = F({2, 1, 1, 1}, {3, 4});
  ExpectTensor(Eval1(ConvNode({AttrI("group", 2)}, 2, "ConvTranspose"), {&xg, &wg}), DType::kFloat32,
               {1, 2, 1, 1}, {3, 8});
  // Weights [C, M/group, ...]: one input channel to two output channels.
  Tensor w12 = F({1, 2, 1, 1}, {2, -1});
  ExpectTensor(Eval1(ConvNode({}, 2, "ConvTranspose"), {&x, &w12}), DType::kFloat32, {1, 2, 2, 2},
               {2, 4, 6, 8, -1, -2, -3, -4});
  // SAME_UPPER: output = input * stride.
  ExpectTensor(Eval1(ConvNode({AttrS("auto_pad", "SAME_UPPER"), AttrInts("strides", {2, 2})}, 2, "ConvTranspose"),
                     {&x, &w}),
               DType::kFloat32, {1, 1, 4, 4},
               {1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000});
}

TEST(MaxPool, ValuesIndicesCeilModeDilation) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i + 1);
  Tensor x = F({1, 1, 4, 4}, v);
  ir::Node node = MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})}, 2);
  auto r = Eval(node, {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ExpectTensor(r.value()[0], DType::kFloat32, {1, 1, 2, 2}, {6, 8, 14, 16});
  elem::ExpectInt64(r.value()[1], DType::kInt64, {1, 1, 2, 2}, {5, 7, 13, 15});
  // storage_order = 1 counts indices column-major: h + w * H.
  node.set_attr(AttrI("storage_order", 1));
  r = Eval(node, {&x});
  ASSERT_TRUE(r.ok()) << r.status().message();
  elem::ExpectInt64(r.value()[1], DType::kInt64, {1, 1, 2, 2}, {5, 13, 7, 15});
  // ceil_mode: a 3x3 window with stride 2 fits once (floor) or twice (ceil) per dim.
  ir::Node k3 = MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2})});
  ExpectTensor(Eval1(k3, {&x}), DType::kFloat32, {1, 1, 1, 1}, {11});
  k3.set_attr(AttrI("ceil_mode", 1));
  ExpectTensor(Eval1(k3, {&x}), DType::kFloat32, {1, 1, 2, 2}, {11, 12, 15, 16});
  // ceil_mode keeps a partial last window: 5 wide, k2 s2 -> 3 windows (floor gives 2).
  Tensor x5 = F({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  ExpectTensor(Eval1(MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {1, 2}), AttrInts("strides", {1, 2}),
                                              AttrI("ceil_mode", 1)}),
                     {&x5}),
               DType::kFloat32, {1, 1, 1, 3}, {2, 4, 5});
  // ...but never one that would start past the input: 2 wide, k1 s2 -> ceil(1/2)+1 = 2 windows,
  // the second starting at 2 = the width, so 1 (ONNX's maxpool_2d_ceil_output_size_reduce_by_one).
  Tensor x2 = F({1, 1, 1, 2}, {1, 2});
  ExpectTensor(Eval1(MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {1, 1}), AttrInts("strides", {1, 2}),
                                              AttrI("ceil_mode", 1)}),
                     {&x2}),
               DType::kFloat32, {1, 1, 1, 1}, {1});
  // Dilation 2: each window takes the corners of a 3x3 span.
  ExpectTensor(Eval1(MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("dilations", {2, 2})}), {&x}),
               DType::kFloat32, {1, 1, 2, 2}, {11, 12, 15, 16});
  // Padding never wins, even against negatives.
  Tensor neg = F({1, 1, 2, 2}, {-1, -2, -3, -4});
  ExpectTensor(Eval1(MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("pads", {1, 1, 1, 1}),
                                              AttrInts("strides", {2, 2})}),
                     {&neg}),
               DType::kFloat32, {1, 1, 2, 2}, {-1, -2, -3, -4});
  // int8 (opset 12+).
  Tensor xi = elem::FromDoubles(DType::kInt8, {1, 1, 2, 2}, {-5, 3, 7, -8});
  ExpectTensor(Eval1(MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {2, 2})}), {&xi}), DType::kInt8,
               {1, 1, 1, 1}, {7});
  // kernel_shape is required.
  EXPECT_FALSE(Eval(MakeNode("MaxPool", 1), {&x}).ok());
}

TEST(AveragePool, CountIncludePadAndGlobal) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i + 1);
  Tensor x = F({1, 1, 4, 4}, v);
  ExpectTensor(Eval1(MakeNode("AveragePool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})}), {&x}),
               DType::kFloat32, {1, 1, 2, 2}, {3.5, 5.5, 11.5, 13.5});
  // Pads 1 with k2 s2 on [[1,2],[3,4]]: each window holds one real pixel and three pads.
  Tensor small = F({1, 1, 2, 2}, {1, 2, 3, 4});
  ir::Node node = MakeNode("AveragePool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}),
                                               AttrInts("pads", {1, 1, 1, 1})});
  ExpectTensor(Eval1(node, {&small}), DType::kFloat32, {1, 1, 2, 2}, {1, 2, 3, 4});
  node.set_attr(AttrI("count_include_pad", 1));
  ExpectTensor(Eval1(node, {&small}), DType::kFloat32, {1, 1, 2, 2}, {0.25, 0.5, 0.75, 1});
  Tensor x2 = F({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  ExpectTensor(Eval1(MakeNode("GlobalAveragePool", 1), {&x2}), DType::kFloat32, {1, 2, 1, 1}, {2.5, 25});
  ExpectTensor(Eval1(MakeNode("GlobalMaxPool", 1), {&x2}), DType::kFloat32, {1, 2, 1, 1}, {4, 40});
}

TEST(Pool, StaticInference) {
  const rt::OpSchema* schema = backends::DefaultRegistry().Find("", "MaxPool");
  ASSERT_NE(schema, nullptr);
  ir::Node node = MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})});
  rt::InferContext a(node, 17, {{DType::kFloat32, true, {-1, 96, 256, 256}}}, {nullptr});
  ASSERT_TRUE(schema->infer(a).ok());
  EXPECT_EQ(a.output_types()[0].dims, (Shape{-1, 96, 128, 128}));
  rt::InferContext b(node, 17, {{DType::kFloat32, false, {}}}, {nullptr});
  ASSERT_TRUE(schema->infer(b).ok());
  EXPECT_EQ(b.output_types()[0].dims, (Shape{-1, -1, -1, -1}));
}

TEST(Normalization, BatchAndInstance) {
  Tensor x = F({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = F({2}, {1, 2}), bias = F({2}, {0, 1}), mean = F({2}, {1, 3}), var = F({2}, {4, 1});
  // eps = 0: channel 0 (x-1)/2, channel 1 (x-3)*2+1.
  ExpectTensor(Eval1(MakeNode("BatchNormalization", 5, {AttrF("epsilon", 0)}), {&x, &scale, &bias, &mean, &var}),
               DType::kFloat32, {1, 2, 1, 2}, {0, 0.5, 1, 3}, 1e-6);
  auto r = Eval(MakeNode("BatchNormalization", 5, {AttrI("training_mode", 1)}), {&x, &scale, &bias, &mean, &var});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("training_mode"), std::string::npos);
  // Instance norm of [1,2,3,4]: mean 2.5, variance 1.25; scale 2, bias 1.
  Tensor xi = F({1, 1, 4}, {1, 2, 3, 4}), s1 = F({1}, {2}), b1 = F({1}, {1});
  const double sd = std::sqrt(1.25);
  ExpectTensor(Eval1(MakeNode("InstanceNormalization", 3, {AttrF("epsilon", 0)}), {&xi, &s1, &b1}),
               DType::kFloat32, {1, 1, 4}, {1 - 3 / sd, 1 - 1 / sd, 1 + 1 / sd, 1 + 3 / sd}, 1e-6);
}

// ---- oneDNN vs reference ----

struct ConvCase {
  Shape x;
  int64_t m, k, stride, pad, dilation, group;
  bool bias;
};

ir::Node MakeConvCaseNode(const ConvCase& c, const char* op = "Conv") {
  return ConvNode({AttrInts("strides", {c.stride, c.stride}), AttrInts("pads", {c.pad, c.pad, c.pad, c.pad}),
                   AttrInts("dilations", {c.dilation, c.dilation}), AttrI("group", c.group)},
                  c.bias ? 3 : 2, op);
}

TEST(ConvFast, RandomConfigsMatchReference) {
  const std::vector<ConvCase> cases = {
      {{1, 8, 13, 11}, 16, 3, 1, 1, 1, 1, true},  {{2, 8, 13, 11}, 16, 3, 2, 1, 1, 1, false},
      {{1, 16, 9, 9}, 16, 3, 1, 2, 2, 16, true},  {{1, 12, 10, 10}, 6, 1, 1, 0, 1, 3, true},
      {{1, 32, 8, 8}, 32, 5, 1, 2, 1, 32, false}, {{1, 3, 17, 17}, 8, 7, 4, 3, 1, 1, true},
      {{1, 4, 16, 16}, 8, 2, 2, 0, 1, 1, true},   {{1, 6, 7, 9}, 4, 1, 2, 0, 1, 2, true},
      {{1, 5, 6, 6}, 3, 3, 1, 0, 2, 1, true}};
  uint32_t seed = 300;
  for (const ConvCase& c : cases) {
    Tensor x = Random(c.x, seed++);
    Tensor w = Random({c.m, c.x[1] / c.group, c.k, c.k}, seed++);
    Tensor b = Random({c.m}, seed++);
    std::vector<const Tensor*> in = {&x, &w};
    if (c.bias) in.push_back(&b);
    ir::Node node = MakeConvCaseNode(c);
    Tensor ref = Eval1(node, in, "ref.Conv");
    auto fast = RunKernelOnShapes(node, "onednn.conv_f32", {in}, {false, true, true});
    ASSERT_EQ(fast.size(), 1u);
    ExpectClose(ref, fast[0], kFastRtol, "conv " + shape_str(c.x) + " k" + std::to_string(c.k) + " g" + std::to_string(c.group));
  }
  // auto_pad SAME_UPPER / SAME_LOWER with stride 2 (asymmetric pads through oneDNN).
  for (const char* ap : {"SAME_UPPER", "SAME_LOWER"}) {
    Tensor x = Random({1, 4, 9, 10}, seed++), w = Random({8, 4, 4, 4}, seed++);
    ir::Node node = ConvNode({AttrS("auto_pad", ap), AttrInts("strides", {2, 2})});
    Tensor ref = Eval1(node, {&x, &w}, "ref.Conv");
    ExpectClose(ref, Eval1(node, {&x, &w}, "onednn.conv_f32"), kFastRtol, ap);
  }
}

// One kernel object over several input sizes (a dynamic-size encoder input): a primitive per
// shape, and the packed weights reused where oneDNN picks the same layout.
TEST(ConvFast, ChangingInputShapes) {
  ConvCase c{{1, 16, 12, 12}, 32, 3, 1, 1, 1, 1, true};
  Tensor w = Random({32, 16, 3, 3}, 1), b = Random({32}, 2);
  Tensor x1 = Random({1, 16, 12, 12}, 3), x2 = Random({2, 16, 20, 8}, 4);
  ir::Node node = MakeConvCaseNode(c);
  auto outs = RunKernelOnShapes(node, "onednn.conv_f32", {{&x1, &w, &b}, {&x2, &w, &b}, {&x1, &w, &b}},
                                {false, true, true}, {0, 2, 3});
  ASSERT_EQ(outs.size(), 3u);
  ExpectClose(Eval1(node, {&x1, &w, &b}, "ref.Conv"), outs[0], kFastRtol, "first shape");
  ExpectClose(Eval1(node, {&x2, &w, &b}, "ref.Conv"), outs[1], kFastRtol, "second shape");
  ExpectClose(outs[0], outs[2], 0, "first shape again");
}

// Real SAM layers. For the big ones the reference computes a slice of the output channels
// (weights W[c0:c1] give output channels c0..c1), which every output channel is independent of.
TEST(ConvFast, SamLayerShapes) {
  struct Layer {
    ConvCase c;
    int64_t ref_channels;  // how many output channels the reference checks
  };
  const std::vector<Layer> layers = {
      {{{1, 3, 1024, 1024}, 768, 16, 16, 0, 1, 1, true}, 32},   // ViT patch embedding
      {{{1, 3, 1024, 1024}, 96, 7, 4, 3, 1, 1, true}, 16},      // Hiera patch embedding
      {{{1, 768, 64, 64}, 256, 1, 1, 0, 1, 1, false}, 32},      // neck 1x1
      {{{1, 256, 64, 64}, 256, 3, 1, 1, 1, 1, false}, 16},      // neck 3x3
      {{{1, 1024, 32, 32}, 1024, 3, 1, 1, 1, 1024, true}, 1024}, // EfficientViT depthwise
      {{{1, 1536, 16, 16}, 1536, 1, 1, 0, 1, 48, false}, 1536},  // EfficientViT grouped 1x1
      {{{1, 256, 32, 32}, 1024, 1, 1, 0, 1, 1, true}, 64},      // EfficientViT expand
      {{{1, 4, 128, 128}, 16, 2, 2, 0, 1, 1, true}, 16}};       // SAM-2 mask downscaler
  uint32_t seed = 400;
  for (const Layer& l : layers) {
    const ConvCase& c = l.c;
    Tensor x = Random(c.x, seed++);
    Tensor w = Random({c.m, c.x[1] / c.group, c.k, c.k}, seed++, 0.05f);
    Tensor b = Random({c.m}, seed++);
    std::vector<const Tensor*> in = {&x, &w};
    if (c.bias) in.push_back(&b);
    ir::Node node = MakeConvCaseNode(c);
    Tensor fast = Eval1(node, in, "onednn.conv_f32");
    Tensor ws = Channels(w, 0, 0, l.ref_channels), bs = Channels(b.Reshaped({c.m, 1}), 0, 0, l.ref_channels);
    bs = bs.Reshaped({l.ref_channels});
    std::vector<const Tensor*> ref_in = {&x, &ws};
    if (c.bias) ref_in.push_back(&bs);
    ir::Node ref_node = node;
    if (c.group > 1) ref_node.set_attr(AttrI("group", c.group * l.ref_channels / c.m));
    Tensor ref = Eval1(ref_node, ref_in, "ref.Conv");
    ExpectClose(ref, Channels(fast, 1, 0, l.ref_channels), kFastRtol, "layer " + shape_str(c.x) + " -> " + std::to_string(c.m));
  }
}

TEST(ConvFast, DeclinesWithReasons) {
  Tensor x = Random({1, 2, 5, 5}, 1), w = Random({3, 2, 3, 3}, 2);
  EXPECT_EQ(DeclineReason(ConvNode({}), {&x, &w}, {false, false}, "onednn.conv_f32"), "weights are not constant");
  Tensor x1 = Random({1, 2, 5}, 1), w1 = Random({3, 2, 3}, 2);
  EXPECT_EQ(DeclineReason(ConvNode({}), {&x1, &w1}, {false, true}, "onednn.conv_f32"),
            "rank 3 conv not handled (2-D only)");
  Tensor xd = elem::FromDoubles(DType::kFloat64, {1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor wd = elem::FromDoubles(DType::kFloat64, {1, 1, 1, 1}, {1});
  EXPECT_EQ(DeclineReason(ConvNode({}), {&xd, &wd}, {false, true}, "onednn.conv_f32"), "dtype float64 (float32 only)");
  Tensor b = Random({3}, 3);
  EXPECT_EQ(DeclineReason(ConvNode({}, 3), {&x, &w, &b}, {false, true, false}, "onednn.conv_f32"),
            "bias is not constant");
}

TEST(DeconvFast, MatchesReference) {
  struct Case {
    Shape x;
    int64_t m, k, stride, pad, out_pad, dilation, group;
  };
  const std::vector<Case> cases = {
      {{1, 8, 6, 7}, 4, 2, 2, 0, 0, 1, 1},  {{2, 6, 5, 5}, 6, 3, 2, 1, 1, 1, 2},
      {{1, 4, 4, 4}, 8, 3, 1, 1, 0, 2, 1},  {{1, 4, 5, 3}, 2, 4, 3, 1, 2, 1, 1},
      {{1, 256, 16, 16}, 64, 2, 2, 0, 0, 1, 1}};
  uint32_t seed = 500;
  for (const Case& c : cases) {
    Tensor x = Random(c.x, seed++), w = Random({c.x[1], c.m / c.group, c.k, c.k}, seed++), b = Random({c.m}, seed++);
    ir::Node node = ConvNode({AttrInts("strides", {c.stride, c.stride}), AttrInts("pads", {c.pad, c.pad, c.pad, c.pad}),
                              AttrInts("output_padding", {c.out_pad, c.out_pad}),
                              AttrInts("dilations", {c.dilation, c.dilation}), AttrI("group", c.group)},
                             3, "ConvTranspose");
    Tensor ref = Eval1(node, {&x, &w, &b}, "ref.ConvTranspose");
    Tensor fast = Eval1(node, {&x, &w, &b}, "onednn.deconv_f32");
    ExpectClose(ref, fast, kFastRtol, "deconv " + shape_str(c.x));
  }
  // output_shape larger than natural (negative end pad): oneDNN cannot, the fallback does.
  Tensor x = Random({1, 2, 3, 3}, 1), w = Random({2, 3, 2, 2}, 2);
  ir::Node node = ConvNode({AttrInts("strides", {2, 2}), AttrInts("output_shape", {7, 7})}, 2, "ConvTranspose");
  ExpectClose(Eval1(node, {&x, &w}, "ref.ConvTranspose"), Eval1(node, {&x, &w}, "onednn.deconv_f32"), kFastRtol,
              "output_shape 7x7");
}

// The SAM decoder's upscaler: 256 -> 64 channels at 64x64 -> 128x128, then 64 -> 32 at 256x256.
TEST(DeconvFast, SamUpscalerShapes) {
  struct Layer {
    Shape x;
    int64_t m;
  };
  uint32_t seed = 600;
  for (const Layer& l : {Layer{{1, 256, 64, 64}, 64}, Layer{{1, 64, 128, 128}, 32}}) {
    Tensor x = Random(l.x, seed++), w = Random({l.x[1], l.m, 2, 2}, seed++, 0.05f), b = Random({l.m}, seed++);
    ir::Node node = ConvNode({AttrInts("strides", {2, 2}), AttrInts("kernel_shape", {2, 2})}, 3, "ConvTranspose");
    Tensor ref = Eval1(node, {&x, &w, &b}, "ref.ConvTranspose");
    Tensor fast = Eval1(node, {&x, &w, &b}, "onednn.deconv_f32");
    ExpectClose(ref, fast, kFastRtol, "upscaler " + shape_str(l.x));
  }
}

}  // namespace
}  // namespace samq::testing::linalg
