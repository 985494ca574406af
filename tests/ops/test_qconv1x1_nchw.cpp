// The pointwise NCHW integer kernel of com.samq QConv (onednn.qconv1x1_nchw_x8s8_gemm) against
//  - an exact double evaluation of the integer formula
//      y[n,m,p] = s_x * s_w[m] * sum_c (q[n,c,p] - zp) * W[m,c] + b[m],
//    q = clamp(round_half_even(x / s_x) + zp) (ONNX QuantizeLinear); the kernel's int32 sum is
//    exact, so it may differ only by the float rounding of the scaling and the bias add;
//  - the reference composition ref.QConv (QuantizeLinear -> DequantizeLinear -> float Conv);
//  - the general oneDNN NHWC QConv kernel it replaces (same integer arithmetic).
// Cases cover uint8 with zero points 0/128/255 (the int8 shift and its row offset), int8, odd
// sizes that leave partial column blocks, several images, and inputs that saturate.
#include <limits>

#include "core/quantize_math.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

const char* kKernel = "onednn.qconv1x1_nchw_x8s8_gemm";

std::string CandidateWithPrefix(const std::string& prefix) {
  const auto* s = backends::DefaultRegistry().Find("com.samq", "QConv");
  if (s)
    for (const auto& k : s->kernels)
      if (k.name.rfind(prefix, 0) == 0) return k.name;
  return "";
}

bool KernelAvailable() {
  // The candidate declines (and the test is skipped) on CPUs without VNNI.
  Tensor w = Tensor::Zeros(DType::kInt8, {1, 1, 1, 1});
  Tensor x = Tensor::Zeros(DType::kFloat32, {1, 1, 1, 1}), ws = Tensor::Scalar<float>(1.f);
  Tensor sx = Tensor::Scalar<float>(1.f), zp = Tensor::Scalar<uint8_t>(0);
  ir::Node n = MakeNode("QConv", 5, {});
  n.domain = "com.samq";
  return Eval(n, {&x, &sx, &zp, &w, &ws}, kKernel).ok();
}

struct Case {
  Shape x;  // N, C, H, W
  int64_t m;
  bool u8;
  int zp;
  bool per_channel, bias;
};

TEST(QConv1x1Nchw, MatchesExactIntegerReferenceAndNhwcKernel) {
  if (!KernelAvailable()) GTEST_SKIP() << kKernel << " declines on this CPU (no VNNI)";
  const std::vector<Case> cases = {
      {{1, 64, 16, 16}, 32, true, 128, true, true},   {{2, 8, 7, 9}, 5, true, 0, false, false},
      {{1, 3, 1, 1}, 4, true, 255, true, true},       {{1, 16, 33, 31}, 24, false, -5, true, true},
      {{3, 40, 5, 70}, 17, false, 0, false, true},     {{1, 256, 40, 41}, 64, true, 77, true, true},
      {{1, 64, 64, 72}, 256, true, 131, true, false},  // several column blocks, a partial last one
  };
  std::mt19937 gen(42);
  uint32_t seed = 500;
  for (const auto& c : cases) {
    const int64_t n = c.x[0], ch = c.x[1], hw = c.x[2] * c.x[3];
    const std::string what = fmt::format("x {} M {} {} zp {}", shape_str(c.x), c.m, c.u8 ? "u8" : "s8", c.zp);
    Tensor x = Random(c.x, seed++, 1.5f);  // beyond the quantized range: saturates at both ends
    const float sx = c.u8 ? 7.0f / 255 : 3.5f / 127;
    Tensor txs = Tensor::Scalar<float>(sx);
    Tensor tzp = c.u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(c.zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(c.zp));
    Tensor w = Tensor::Zeros(DType::kInt8, {c.m, ch, 1, 1});
    std::uniform_int_distribution<int> wd(-127, 127);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(wd(gen));
    Tensor ws = Tensor::Zeros(DType::kFloat32, c.per_channel ? Shape{c.m} : Shape{});
    std::uniform_real_distribution<float> sd(0.005f, 0.03f);
    for (int64_t i = 0; i < ws.numel(); ++i) ws.data<float>()[i] = sd(gen);
    Tensor b = Random({c.m}, seed++);
    std::vector<ir::Attribute> attrs = {AttrInts("kernel_shape", {1, 1})};
    ir::Node node = MakeNode("QConv", c.bias ? 6 : 5, attrs);
    node.domain = "com.samq";
    std::vector<const Tensor*> ins{&x, &txs, &tzp, &w, &ws};
    if (c.bias) ins.push_back(&b);

    Tensor fast = Eval1(node, ins, kKernel);
    ASSERT_EQ(fast.shape(), (Shape{n, c.m, c.x[2], c.x[3]})) << what;
    const double eps = std::numeric_limits<float>::epsilon();
    for (int64_t img = 0; img < n; ++img)
      for (int64_t m = 0; m < c.m; ++m)
        for (int64_t p = 0; p < hw; ++p) {
          int64_t acc = 0;
          for (int64_t k = 0; k < ch; ++k) {
            const float xv = x.data<float>()[(img * ch + k) * hw + p];
            const int q = c.u8 ? QuantizeScalar<uint8_t>(xv, sx, c.zp) : QuantizeScalar<int8_t>(xv, sx, c.zp);
            acc += static_cast<int64_t>(q - c.zp) * w.data<int8_t>()[m * ch + k];
          }
          const double scale = double(sx) * ws.data<float>()[ws.numel() == 1 ? 0 : m];
          const double bias = c.bias ? b.data<float>()[m] : 0.0;
          const double exact = double(acc) * scale + bias;
          const double tol = 4 * eps * (std::fabs(double(acc) * scale) + std::fabs(bias)) + 1e-30;
          const float got = fast.data<float>()[(img * c.m + m) * hw + p];
          ASSERT_LE(std::fabs(got - exact), tol) << what << " at image " << img << " channel " << m << " pixel " << p;
        }
    ExpectClose(Eval1(node, ins, "ref.QConv"), fast, 2e-6 * ch, what + " vs ref.QConv");
    const std::string nhwc = CandidateWithPrefix(c.u8 ? "onednn.qconv_u8s8_" : "onednn.qconv_s8s8_");
    ASSERT_FALSE(nhwc.empty());
    ExpectClose(Eval1(node, ins, nhwc), fast, 1e-5, what + " vs " + nhwc);
  }
}

TEST(QConv1x1Nchw, DeclinesWhatItDoesNotHandle) {
  // 3x3, strided, padded or grouped convolutions go to the general kernel; the reason is given.
  const auto* s = backends::DefaultRegistry().Find("com.samq", "QConv");
  ASSERT_NE(s, nullptr);
  const rt::KernelCandidate* cand = nullptr;
  for (const auto& k : s->kernels)
    if (k.name == kKernel) cand = &k;
  ASSERT_NE(cand, nullptr);
  Tensor sx = Tensor::Scalar<float>(0.1f), zp = Tensor::Scalar<uint8_t>(3), ws = Tensor::Scalar<float>(0.01f);
  Tensor w1 = Tensor::Zeros(DType::kInt8, {4, 4, 1, 1}), w3 = Tensor::Zeros(DType::kInt8, {4, 4, 3, 3});
  Tensor w1g = Tensor::Zeros(DType::kInt8, {4, 2, 1, 1});
  struct Bad {
    const Tensor* w;
    std::vector<ir::Attribute> attrs;
  };
  const std::vector<Bad> bad = {{&w3, {}},
                                {&w1, {AttrInts("strides", {2, 2})}},
                                {&w1, {AttrInts("pads", {1, 1, 1, 1})}},
                                {&w1g, {AttrI("group", 2)}}};
  for (const auto& c : bad) {
    ir::Node n = MakeNode("QConv", 5, c.attrs);
    n.domain = "com.samq";
    rt::KernelBuildInfo info{n, 17, std::vector<rt::TensorType>(5),
                             {nullptr, &sx, &zp, c.w, &ws}};
    info.input_types[0] = {DType::kFloat32, true, {1, 4, 8, 8}};
    std::string why;
    EXPECT_EQ(cand->make(info, &why), nullptr);
    EXPECT_FALSE(why.empty());
  }
}

}  // namespace
}  // namespace samq::testing::linalg

// The depthwise NCHW QConv (fast.qconv_dw_x8s8_qdq_f32: QuantDequant + float depthwise stencil)
// against the reference composition ref.QConv and the oneDNN NHWC integer kernel.
namespace samq::testing::linalg {
namespace {

struct DwCase {
  Shape x;
  int64_t k, stride, pad;
  bool u8;
  int zp;
  bool per_channel, bias;
};

TEST(QConvDepthwiseNchw, MatchesReferenceCompositionAndNhwcKernel) {
  const char* kDw = "fast.qconv_dw_x8s8_qdq_f32";
  const std::vector<DwCase> cases = {
      {{1, 16, 20, 23}, 3, 1, 1, true, 128, true, true}, {{2, 8, 9, 9}, 3, 2, 1, true, 0, false, false},
      {{1, 5, 12, 7}, 5, 1, 2, false, -3, true, true},   {{1, 32, 17, 16}, 3, 2, 1, false, 0, true, true},
      {{1, 4, 6, 6}, 7, 1, 3, true, 255, true, false},
  };
  std::mt19937 gen(7);
  uint32_t seed = 900;
  for (const auto& c : cases) {
    const int64_t ch = c.x[1];
    const std::string what = fmt::format("x {} k {} s {} {} zp {}", shape_str(c.x), c.k, c.stride, c.u8 ? "u8" : "s8", c.zp);
    Tensor x = Random(c.x, seed++, 1.5f);
    Tensor sx = Tensor::Scalar<float>(c.u8 ? 7.0f / 255 : 3.5f / 127);
    Tensor zp = c.u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(c.zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(c.zp));
    Tensor w = Tensor::Zeros(DType::kInt8, {ch, 1, c.k, c.k});
    std::uniform_int_distribution<int> wd(-127, 127);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = static_cast<int8_t>(wd(gen));
    Tensor ws = Tensor::Zeros(DType::kFloat32, c.per_channel ? Shape{ch} : Shape{});
    std::uniform_real_distribution<float> sd(0.005f, 0.03f);
    for (int64_t i = 0; i < ws.numel(); ++i) ws.data<float>()[i] = sd(gen);
    Tensor b = Random({ch}, seed++);
    std::vector<ir::Attribute> attrs = {AttrI("group", ch), AttrInts("kernel_shape", {c.k, c.k}),
                                        AttrInts("strides", {c.stride, c.stride}),
                                        AttrInts("pads", {c.pad, c.pad, c.pad, c.pad})};
    ir::Node node = MakeNode("QConv", c.bias ? 6 : 5, attrs);
    node.domain = "com.samq";
    std::vector<const Tensor*> ins{&x, &sx, &zp, &w, &ws};
    if (c.bias) ins.push_back(&b);
    Tensor fast = Eval1(node, ins, kDw);
    Tensor ref = Eval1(node, ins, "ref.QConv");
    // Same operands as the reference, float sums of K*K terms in another order.
    ExpectClose(ref, fast, 2e-6 * c.k * c.k, what + " vs ref.QConv");
    const std::string nhwc = CandidateWithPrefix(c.u8 ? "onednn.qconv_u8s8_" : "onednn.qconv_s8s8_");
    ExpectClose(Eval1(node, ins, nhwc), fast, 2e-6 * c.k * c.k, what + " vs " + nhwc);
  }
}

}  // namespace
}  // namespace samq::testing::linalg
