// The oneDNN integer kernels of com.samq QMatMul / QConv against their reference kernels
// (dequantize, then float MatMul/Conv) and, for QMatMul, against an exact double evaluation of
// the integer formula y = s_x * s_w[n] * sum_k (q_x - zp_x) * w[k,n] + b[n], with
// q_x = clamp(round_half_even(x / s_x) + zp_x) (ONNX QuantizeLinear). The integer kernel sums
// exactly in int32, so it may differ from the exact value only by the float rounding of the
// scale product, the scaling and the bias add: a few ulps of |acc * scale| + |b|.
#include <limits>

#include "core/quantize_math.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {


ir::Node QNode(const std::string& op, bool bias, std::vector<ir::Attribute> attrs = {}) {
  ir::Node n = MakeNode(op, bias ? 6 : 5, std::move(attrs));
  n.domain = "com.samq";
  return n;
}


Tensor Uniform(Shape s, uint32_t seed, float lo, float hi) {
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(gen);
  return t;
}

struct MatMulCase {
  Shape x;
  int64_t n;
  bool u8;
  int zp;
  bool per_channel, bias;
};

// Exact value and the size of the rounding the integer kernel may add, per output element.
void ExactQMatMul(const Tensor& x, float sx, int zp, bool u8, const Tensor& w, const Tensor& ws,
                  const Tensor* b, std::vector<double>* exact, std::vector<double>* tol) {
  const int64_t k = w.dim(0), n = w.dim(1), rows = x.numel() / k;
  exact->assign(rows * n, 0);
  tol->assign(rows * n, 0);
  const double eps = std::numeric_limits<float>::epsilon();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (int64_t i = 0; i < k; ++i) {
        const float xv = x.data<float>()[r * k + i];
        const int q = u8 ? QuantizeScalar<uint8_t>(xv, sx, zp) : QuantizeScalar<int8_t>(xv, sx, zp);
        acc += static_cast<int64_t>(q - zp) * w.data<int8_t>()[i * n + j];
      }
      const double scale = double(sx) * ws.data<float>()[ws.numel() == 1 ? 0 : j];
      const double bias = b ? b->data<float>()[j] : 0.0;
      (*exact)[r * n + j] = double(acc) * scale + bias;
      (*tol)[r * n + j] = 4 * eps * (std::fabs(double(acc) * scale) + std::fabs(bias)) + 1e-30;
    }
}

TEST(QdqIntegerKernels, QMatMulHandCase) {
  // x = [0.5, -1, 2.6, 1.25], s_x = 0.5, zp 128 (uint8): x/s = [1, -2, 5.2, 2.5] -> rint
  // [1, -2, 5, 2 (half to even)] + 128 -> q - zp = [1, -2, 5, 2].
  // W (K=4, N=2) = [[2, 1], [3, 0], [-1, 4], [10, -3]], s_w = [0.1, 0.5]:
  //   col 0: 2 - 6 - 5 + 20 = 11 -> 11 * 0.05 = 0.55;  + b 1.0 -> 1.55
  //   col 1: 1 + 0 + 20 - 6 = 15 -> 15 * 0.25 = 3.75;  + b -2 -> 1.75
  Tensor x = F({1, 4}, {0.5f, -1, 2.6f, 1.25f});
  Tensor sx = Tensor::Scalar<float>(0.5f), zp = Tensor::Scalar<uint8_t>(128);
  Tensor w = Tensor::FromVector<int8_t>({4, 2}, {2, 1, 3, 0, -1, 4, 10, -3});
  Tensor ws = F({2}, {0.1f, 0.5f}), b = F({2}, {1.0f, -2.0f});
  const std::string name = CandidateName("QMatMul", "onednn.qmatmul_u8s8_");
  ASSERT_FALSE(name.empty());
  for (const std::string& kernel : {name, std::string("ref.QMatMul")}) {
    Tensor y = Eval1(QNode("QMatMul", true), {&x, &sx, &zp, &w, &ws, &b}, kernel);
    ASSERT_EQ(y.shape(), (Shape{1, 2})) << kernel;
    EXPECT_NEAR(y.data<float>()[0], 1.55f, 1e-6) << kernel;
    EXPECT_NEAR(y.data<float>()[1], 1.75f, 1e-6) << kernel;
  }
}

TEST(QdqIntegerKernels, QMatMulRandomMatchesExactAndReference) {
  const std::vector<MatMulCase> cases = {
      {{8, 64}, 48, true, 131, true, false},   {{8, 64}, 48, true, 0, false, true},
      {{1, 1}, 1, true, 7, true, true},        {{7, 13}, 11, false, 0, true, true},
      {{2, 5, 37}, 19, false, -9, false, false}, {{3, 4, 6, 33}, 17, true, 255, true, true},
      {{200, 256}, 96, true, 128, true, true}, {{129, 768}, 64, false, 3, true, false}};
  uint32_t seed = 1;
  for (const auto& c : cases) {
    const int64_t k = c.x.back();
    const std::string what = fmt::format("x {} N {} {} zp {} {} {}", shape_str(c.x), c.n, c.u8 ? "u8" : "s8", c.zp,
                                         c.per_channel ? "per-channel" : "per-tensor", c.bias ? "bias" : "");
    // Activation spans beyond the quantized range so saturation happens at both ends.
    Tensor x = Random(c.x, seed++, 1.5f);
    const float sx = c.u8 ? 7.0f / 255 : 3.5f / 127;
    Tensor txs = Tensor::Scalar<float>(sx);
    Tensor tzp = c.u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(c.zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(c.zp));
    Tensor w = RandomInt8({k, c.n}, seed++);
    Tensor ws = Uniform(c.per_channel ? Shape{c.n} : Shape{}, seed++, 0.002f, 0.02f);
    Tensor b = Random({c.n}, seed++);
    std::vector<const Tensor*> ins{&x, &txs, &tzp, &w, &ws};
    if (c.bias) ins.push_back(&b);
    const std::string name = CandidateName("QMatMul", c.u8 ? "onednn.qmatmul_u8s8_" : "onednn.qmatmul_s8s8_");
    ASSERT_FALSE(name.empty());
    Tensor fast = Eval1(QNode("QMatMul", c.bias), ins, name);
    Tensor ref = Eval1(QNode("QMatMul", c.bias), ins, "ref.QMatMul");
    std::vector<double> exact, tol;
    ExactQMatMul(x, sx, c.zp, c.u8, w, ws, c.bias ? &b : nullptr, &exact, &tol);
    ASSERT_EQ(fast.numel(), static_cast<int64_t>(exact.size())) << what;
    double worst = 0;
    for (size_t i = 0; i < exact.size(); ++i) {
      const double d = std::fabs(fast.data<float>()[i] - exact[i]);
      worst = std::max(worst, d);
      ASSERT_LE(d, tol[i]) << what << " element " << i << ": " << fast.data<float>()[i] << " vs exact " << exact[i];
    }
    // The reference sums in float: within float summation error of K terms.
    ExpectClose(ref, fast, 2e-6 * k, what + " vs ref.QMatMul");
    std::cout << what << ": max |integer - exact| " << worst << "\n";
  }
}

TEST(QdqIntegerKernels, QMatMulManyRowCountsShareOneKernel) {
  // One kernel object, several M (primitive cache per M, packed weights shared).
  Tensor w = RandomInt8({40, 24}, 7), ws = Uniform({24}, 8, 0.01f, 0.02f), b = Random({24}, 9);
  Tensor sx = Tensor::Scalar<float>(0.02f), zp = Tensor::Scalar<uint8_t>(120);
  std::vector<Tensor> xs = {Random({1, 40}, 10), Random({33, 40}, 11), Random({2, 64, 40}, 12)};
  std::vector<std::vector<const Tensor*>> sets;
  for (const auto& x : xs) sets.push_back({&x, &sx, &zp, &w, &ws, &b});
  const std::string name = CandidateName("QMatMul", "onednn.qmatmul_u8s8_");
  auto outs = RunKernelOnShapes(QNode("QMatMul", true), name, sets, {false, true, true, true, true, true});
  ASSERT_EQ(outs.size(), xs.size());
  for (size_t i = 0; i < xs.size(); ++i)
    ExpectClose(Eval1(QNode("QMatMul", true), sets[i], "ref.QMatMul"), outs[i], 1e-4, shape_str(xs[i].shape()));
}

struct ConvCase {
  Shape x;
  int64_t oc, kh, kw, group;
  std::vector<int64_t> strides, pads, dilations;
  bool u8, per_channel, bias;
  int zp;
};

TEST(QdqIntegerKernels, QConvRandomMatchesReference) {
  const std::vector<ConvCase> cases = {
      {{1, 8, 15, 13}, 16, 3, 3, 1, {2, 2}, {1, 1, 1, 1}, {1, 1}, true, true, true, 128},
      {{2, 12, 9, 9}, 12, 3, 3, 12, {1, 1}, {1, 1, 1, 1}, {1, 1}, true, true, true, 3},    // depthwise
      {{1, 8, 10, 11}, 6, 2, 3, 2, {1, 1}, {0, 1, 1, 0}, {2, 1}, false, false, false, 0},  // grouped, dilated
      {{1, 3, 32, 32}, 16, 4, 4, 1, {4, 4}, {0, 0, 0, 0}, {1, 1}, true, true, true, 0},    // patch embed
      {{1, 64, 16, 16}, 32, 1, 1, 1, {1, 1}, {0, 0, 0, 0}, {1, 1}, false, true, true, -5}, // 1x1
  };
  uint32_t seed = 100;
  for (const auto& c : cases) {
    const std::string what = fmt::format("x {} oc {} k {}x{} g {} {}", shape_str(c.x), c.oc, c.kh, c.kw, c.group,
                                         c.u8 ? "u8" : "s8");
    Tensor x = Random(c.x, seed++, 1.5f);
    Tensor sx = Tensor::Scalar<float>(c.u8 ? 7.0f / 255 : 3.5f / 127);
    Tensor zp = c.u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(c.zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(c.zp));
    Tensor w = RandomInt8({c.oc, c.x[1] / c.group, c.kh, c.kw}, seed++);
    Tensor ws = Uniform(c.per_channel ? Shape{c.oc} : Shape{}, seed++, 0.005f, 0.03f);
    Tensor b = Random({c.oc}, seed++);
    std::vector<ir::Attribute> attrs = {AttrI("group", c.group), AttrInts("strides", c.strides),
                                        AttrInts("pads", c.pads), AttrInts("dilations", c.dilations),
                                        AttrInts("kernel_shape", {c.kh, c.kw})};
    std::vector<const Tensor*> ins{&x, &sx, &zp, &w, &ws};
    if (c.bias) ins.push_back(&b);
    const std::string name = CandidateName("QConv", c.u8 ? "onednn.qconv_u8s8_" : "onednn.qconv_s8s8_");
    ASSERT_FALSE(name.empty());
    Tensor fast = Eval1(QNode("QConv", c.bias, attrs), ins, name);
    Tensor ref = Eval1(QNode("QConv", c.bias, attrs), ins, "ref.QConv");
    ExpectClose(ref, fast, 2e-6 * (c.x[1] / c.group) * c.kh * c.kw, what);
  }
}

// oneDNN takes the bias as b / scale (its bias is added before the output scales): a channel whose
// weight scale is 0 has no such quotient and takes the binary-add post-op instead. Its outputs are
// the bias exactly; the other channels still match the exact formula.
TEST(QdqIntegerKernels, ZeroWeightScaleChannelsKeepTheirBias) {
  Tensor sx = Tensor::Scalar<float>(0.02f), zp = Tensor::Scalar<uint8_t>(120);
  {
    Tensor x = Random({37, 40}, 21, 1.5f), w = RandomInt8({40, 24}, 22), b = Random({24}, 23);
    Tensor ws = Uniform({24}, 24, 0.005f, 0.02f);
    for (int64_t c : {0, 5, 23}) ws.data<float>()[c] = 0.f;
    std::vector<const Tensor*> ins{&x, &sx, &zp, &w, &ws, &b};
    Tensor fast = Eval1(QNode("QMatMul", true), ins, CandidateName("QMatMul", "onednn.qmatmul_u8s8_"));
    std::vector<double> exact, tol;
    ExactQMatMul(x, 0.02f, 120, true, w, ws, &b, &exact, &tol);
    for (int64_t i = 0; i < fast.numel(); ++i) {
      ASSERT_LE(std::fabs(fast.data<float>()[i] - exact[i]), tol[i]) << "QMatMul element " << i;
      if (ws.data<float>()[i % 24] == 0.f) {
        ASSERT_EQ(fast.data<float>()[i], b.data<float>()[i % 24]) << i;
      }
    }
  }
  {
    Tensor x = Random({1, 8, 12, 12}, 25, 1.5f), w = RandomInt8({16, 8, 3, 3}, 26), b = Random({16}, 27);
    Tensor ws = Uniform({16}, 28, 0.005f, 0.03f);
    ws.data<float>()[3] = 0.f;
    std::vector<ir::Attribute> attrs = {AttrI("group", 1), AttrInts("strides", {1, 1}), AttrInts("pads", {1, 1, 1, 1}),
                                        AttrInts("dilations", {1, 1}), AttrInts("kernel_shape", {3, 3})};
    std::vector<const Tensor*> ins{&x, &sx, &zp, &w, &ws, &b};
    Tensor fast = Eval1(QNode("QConv", true, attrs), ins, CandidateName("QConv", "onednn.qconv_u8s8_"));
    Tensor ref = Eval1(QNode("QConv", true, attrs), ins, "ref.QConv");
    ExpectClose(ref, fast, 2e-6 * 8 * 9, "QConv with a zero weight scale");
    for (int64_t p = 0; p < 144; ++p) ASSERT_EQ(fast.data<float>()[3 * 144 + p], b.data<float>()[3]) << p;
  }
}

TEST(QdqIntegerKernels, KernelNamesSayDtypeAndIsa) {
  // "onednn.qmatmul_u8s8_<isa>": the ISA part is what oneDNN picked on this machine.
  for (const char* op : {"QMatMul", "QConv"}) {
    const auto* s = backends::DefaultRegistry().Find("com.samq", op);
    ASSERT_NE(s, nullptr);
    std::vector<std::string> names;
    for (const auto& k : s->kernels) names.push_back(k.name);
    // QConv also has the pointwise and depthwise NCHW kernels (onednn_int8_conv1x1.cpp,
    // qconv_depthwise_nchw.cpp) in front.
    ASSERT_EQ(names.size(), std::string(op) == "QConv" ? 5u : 3u) << op;
    EXPECT_EQ(names.back(), std::string("ref.") + op);
    for (size_t i = 0; i + 1 < names.size(); ++i) {
      EXPECT_NE(names[i].find("s8_"), std::string::npos) << names[i];
      EXPECT_EQ(names[i].find("unavailable"), std::string::npos) << names[i];
      std::cout << op << " candidate: " << names[i] << "\n";
    }
  }
}

}  // namespace
}  // namespace samq::testing::linalg

namespace samq::testing::linalg {
namespace {

TEST(QdqIntegerKernels, VectorizableRoundingEqualsRint) {
  // QuantizeToFloat's add-and-subtract rounding against the textbook formula with std::nearbyint
  // (round half to even) on ties, saturating values, infinities, NaN and a dense sweep.
  auto textbook = [](float x, float s, float z, float lo, float hi) {
    const float v = std::nearbyint(x / s) + z;
    return std::isnan(v) ? lo : std::min(std::max(v, lo), hi);
  };
  std::vector<float> xs = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127.5f, -128.5f, 1e30f, -1e30f,
                           std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(), 0.0f, -0.0f, 254.5f, 255.5f};
  for (int i = -70000; i <= 70000; ++i) xs.push_back(i * 0.0137f);
  for (float s : {1.0f, 0.5f, 0.0311f, 3.7f}) {
    for (float z : {0.f, 128.f, 255.f, 3.f}) {
      for (float x : xs) {
        const float want = textbook(x, s, z, 0, 255), got = QuantizeToFloat(x, s, z, 0, 255);
        ASSERT_EQ(want, got) << "u8 x " << x << " s " << s << " zp " << z;
      }
    }
    for (float z : {0.f, -128.f, 127.f, -7.f})
      for (float x : xs) ASSERT_EQ(textbook(x, s, z, -128, 127), QuantizeToFloat(x, s, z, -128, 127)) << x;
  }
}

}  // namespace
}  // namespace samq::testing::linalg
