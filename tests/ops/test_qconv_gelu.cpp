// com.samq QConvGelu and QMatMulGelu (src/backends/cpu/qconv_kernels.h): ref.QConvGelu is
// exactly ref.Gelu(ref.QConv) (likewise for QMatMul), the oneDNN QMatMul with its GELU post-op
// matches ref.QMatMulGelu, and every fused candidate (pointwise NCHW GEMM with the GELU per block,
// depthwise QDQ + fast.DepthwiseConvGelu, oneDNN NHWC QConv with the GELU per band of its NCHW
// transpose) matches ref.QConvGelu on seeded random inputs that also saturate the activation's
// quantized range.
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

// As test_conv_gelu.cpp: float32 sums (and fastmath::Erf, 5e-7 absolute) against the float64
// reference GELU, relative to the output's largest magnitude.
constexpr double kRtol = 1e-4;

ir::Node QNode(const std::string& op, int64_t k, int64_t s, int64_t pad, int64_t group, bool bias) {
  ir::Node n = MakeNode(op, bias ? 6 : 5,
                        {AttrInts("kernel_shape", {k, k}), AttrInts("strides", {s, s}),
                         AttrInts("pads", {pad, pad, pad, pad}), AttrI("group", group)});
  n.domain = "com.samq";
  return n;
}

struct Inputs {
  Tensor x, sx, zp, w, ws, b;
  std::vector<const Tensor*> list(bool bias) const {
    std::vector<const Tensor*> v{&x, &sx, &zp, &w, &ws};
    if (bias) v.push_back(&b);
    return v;
  }
};

Inputs MakeInputs(Shape x, int64_t m, int64_t k, int64_t group, bool u8, int zp, uint32_t seed) {
  Inputs in;
  in.x = Random(x, seed, 1.5f);
  in.sx = Tensor::Scalar<float>(u8 ? 7.0f / 255 : 3.5f / 127);
  in.zp = u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(zp));
  in.w = Tensor::Zeros(DType::kInt8, {m, x[1] / group, k, k});
  std::mt19937 gen(seed + 1);
  std::uniform_int_distribution<int> wd(-127, 127);
  for (int64_t i = 0; i < in.w.numel(); ++i) in.w.data<int8_t>()[i] = static_cast<int8_t>(wd(gen));
  in.ws = Tensor::Zeros(DType::kFloat32, {m});
  std::uniform_real_distribution<float> sd(0.002f, 0.01f);
  for (int64_t i = 0; i < m; ++i) in.ws.data<float>()[i] = sd(gen);
  in.b = Random({m}, seed + 2);
  return in;
}

TEST(QConvGelu, ReferenceIsGeluOfQConv) {
  Inputs in = MakeInputs({1, 4, 7, 9}, 6, 3, 1, true, 120, 1);
  const Tensor c = Eval1(QNode("QConv", 3, 1, 1, 1, true), in.list(true), "ref.QConv");
  ir::Node gelu = MakeNode("Gelu", 1);
  gelu.domain = "com.samq";
  ExpectClose(Eval1(gelu, {&c}, "ref.Gelu"), Eval1(QNode("QConvGelu", 3, 1, 1, 1, true), in.list(true), "ref.QConvGelu"),
              0, "ref");
}

struct Case {
  Shape x;
  int64_t m, k, s, pad, group;
  bool u8, bias;
  int zp;
  const char* kernel;  // exact name, or a prefix ending in '_' for the ISA-named oneDNN ones
};

TEST(QConvGelu, FusedKernelsMatchReference) {
  const std::vector<Case> cases = {
      {{1, 16, 13, 11}, 24, 1, 1, 0, 1, true, true, 128, "onednn.qconv1x1_nchw_x8s8_gemm_gelu"},
      {{2, 6, 9, 10}, 12, 1, 1, 0, 1, false, false, -4, "onednn.qconv1x1_nchw_x8s8_gemm_gelu"},
      {{1, 64, 48, 40}, 128, 1, 1, 0, 1, true, true, 3, "onednn.qconv1x1_nchw_x8s8_gemm_gelu"},
      {{1, 16, 19, 17}, 16, 3, 1, 1, 16, true, true, 77, "fast.qconv_dw_x8s8_qdq_f32_gelu"},
      {{2, 5, 12, 13}, 5, 3, 2, 1, 5, false, false, 0, "fast.qconv_dw_x8s8_qdq_f32_gelu"},
      {{1, 3, 33, 31}, 16, 3, 2, 1, 1, true, true, 0, "onednn.qconv_u8s8_"},  // patch-embed style
      // batch 2, 20 channels (not a multiple of the 16-wide transpose), 1480 pixels: the NHWC
      // quantization's pixel blocks (816 at 20 channels) end mid-image
      {{2, 20, 40, 37}, 8, 3, 1, 1, 1, true, true, 100, "onednn.qconv_u8s8_"},
      {{1, 8, 12, 12}, 8, 3, 1, 1, 1, false, true, 5, "onednn.qconv_s8s8_"}};
  const auto* schema = backends::DefaultRegistry().Find("com.samq", "QConvGelu");
  ASSERT_NE(schema, nullptr);
  uint32_t seed = 70;
  for (const Case& c : cases) {
    std::string kernel = c.kernel;
    if (kernel.back() == '_')
      for (const auto& k : schema->kernels)
        if (k.name.rfind(kernel, 0) == 0) kernel = k.name;
    ASSERT_NE(kernel.back(), '_') << "no candidate " << c.kernel;
    Inputs in = MakeInputs(c.x, c.m, c.k, c.group, c.u8, c.zp, seed += 3);
    ir::Node node = QNode("QConvGelu", c.k, c.s, c.pad, c.group, c.bias);
    auto ins = in.list(c.bias);
    auto got = RunKernelOnShapes(node, kernel, {ins}, {false, true, true, true, true, true});
    ASSERT_EQ(got.size(), 1u) << kernel;
    ExpectClose(Eval1(node, ins, "ref.QConvGelu"), got[0], kRtol, kernel + " " + shape_str(c.x));
  }
}

TEST(QMatMulGelu, OnednnPostOpMatchesReference) {
  struct MCase {
    Shape x;
    int64_t n;
    bool u8, bias;
    int zp;
  };
  const std::vector<MCase> cases = {{{64, 160}, 640, true, true, 128},
                                    {{2, 49, 64}, 96, false, true, -3},
                                    {{7, 33}, 17, true, false, 0}};
  const auto* schema = backends::DefaultRegistry().Find("com.samq", "QMatMulGelu");
  ASSERT_NE(schema, nullptr);
  uint32_t seed = 300;
  for (const auto& c : cases) {
    std::string kernel;
    for (const auto& k : schema->kernels)
      if (k.name.rfind(c.u8 ? "onednn.qmatmul_u8s8_" : "onednn.qmatmul_s8s8_", 0) == 0) kernel = k.name;
    ASSERT_FALSE(kernel.empty());
    const int64_t k = c.x.back();
    Tensor x = Random(c.x, seed++, 1.5f);
    Tensor sx = Tensor::Scalar<float>(c.u8 ? 7.0f / 255 : 3.5f / 127);
    Tensor zp = c.u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(c.zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(c.zp));
    Tensor w = Tensor::Zeros(DType::kInt8, {k, c.n});
    std::mt19937 gen(seed++);
    std::uniform_int_distribution<int> wd(-127, 127);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(wd(gen));
    Tensor ws = Tensor::Zeros(DType::kFloat32, {c.n});
    std::uniform_real_distribution<float> sd(0.002f, 0.01f);
    for (int64_t i = 0; i < c.n; ++i) ws.data<float>()[i] = sd(gen);
    Tensor b = Random({c.n}, seed++);
    std::vector<const Tensor*> ins{&x, &sx, &zp, &w, &ws};
    if (c.bias) ins.push_back(&b);
    ir::Node node = MakeNode("QMatMulGelu", c.bias ? 6 : 5);
    node.domain = "com.samq";
    ir::Node plain = node;
    plain.op_type = "QMatMul";
    // The reference is GELU of the reference QMatMul.
    const Tensor y = Eval1(plain, ins, "ref.QMatMul");
    ir::Node gelu = MakeNode("Gelu", 1);
    gelu.domain = "com.samq";
    const Tensor ref = Eval1(node, ins, "ref.QMatMulGelu");
    ExpectClose(Eval1(gelu, {&y}, "ref.Gelu"), ref, 0, "ref.QMatMulGelu");
    ExpectClose(ref, Eval1(node, ins, kernel), kRtol, kernel + " " + shape_str(c.x));
  }
}

}  // namespace
}  // namespace samq::testing::linalg
