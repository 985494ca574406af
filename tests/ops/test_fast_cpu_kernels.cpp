// The fast.* CPU kernels (src/backends/cpu/fast_*.cpp) against their reference twins (ref.*) on
// seeded random inputs, odd sizes included, and the vectorizable math against libm.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backends/cpu/fast_math.h"
#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

Tensor Random(Shape s, uint32_t seed, float lo = -4, float hi = 4) {
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

Tensor RunWith(const ir::Node& n, const std::vector<const Tensor*>& ins, const std::string& kernel,
               int64_t opset = 17) {
  rt::EvaluateOptions o;
  o.kernel = kernel;
  auto r = rt::EvaluateNode(backends::DefaultRegistry(), n, opset, ins, o);
  EXPECT_TRUE(r.ok()) << kernel << ": " << r.status().message();
  return r.ok() ? r.value()[0] : Tensor();
}

// fast.<op> and ref.<op> agree within `tol` (absolute + relative).
void ExpectFastMatchesRef(const ir::Node& n, const std::vector<const Tensor*>& ins, double tol,
                          const std::string& ref_name = "") {
  const Tensor want = RunWith(n, ins, ref_name.empty() ? "ref." + n.op_type : ref_name);
  const Tensor got = RunWith(n, ins, "fast." + n.op_type);
  ASSERT_TRUE(want.defined() && got.defined());
  ASSERT_EQ(got.shape(), want.shape());
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(g[i], w[i], tol * (1 + std::fabs(w[i]))) << n.op_type << " element " << i;
}

TEST(FastMath, ExpErfTanhMatchLibm) {
  double max_exp = 0, max_erf = 0, max_tanh = 0;
  for (float x = -90.0f; x <= 89.0f; x += 0.0137f) {
    const double e = std::exp(static_cast<double>(x));
    if (e > 1e-37 && e < 1e38) max_exp = std::max(max_exp, std::fabs(backends::fastmath::Exp(x) - e) / e);
  }
  for (float x = -10.0f; x <= 10.0f; x += 0.00173f) {
    max_erf = std::max(max_erf, std::fabs(backends::fastmath::Erf(x) - std::erf(static_cast<double>(x))));
    max_tanh = std::max(max_tanh, std::fabs(backends::fastmath::Tanh(x) - std::tanh(static_cast<double>(x))));
  }
  EXPECT_LT(max_exp, 4e-7);   // a few float ulps, relative
  EXPECT_LT(max_erf, 5e-7);   // absolute
  EXPECT_LT(max_tanh, 5e-7);  // absolute
  // Below the clamp (-87.33) the result stays at the smallest normal float instead of 0: harmless
  // for softmax (the row sum is >= 1) and erf (multiplied by t < 1), documented in fast_math.h.
  EXPECT_LE(backends::fastmath::Exp(-200.0f), 1.2e-38f);
  EXPECT_TRUE(std::isfinite(backends::fastmath::Exp(200.0f)));
}

TEST(FastCpuKernels, BinaryBroadcastPatternsMatchReference) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 5, 7}, {3, 5, 7}},         {{1, 37, 129}, {129}},      {{2, 16, 9, 11}, {1, 16, 1, 1}},
      {{5, 1, 7}, {1, 6, 1}},         {{}, {4, 3}},               {{300001}, {1}},
      {{1}, {70001}},                 {{4, 49, 49}, {4, 1, 49}},  {{2, 3, 1, 5}, {3, 4, 1}},
      {{64, 4, 49, 49}, {4, 49, 49}}, {{0, 3}, {3}}};
  uint32_t seed = 1;
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& [sa, sb] : cases) {
      Tensor a = Random(sa, seed++), b = Random(sb, seed++, 0.5f, 3.0f);
      SCOPED_TRACE(std::string(op) + " " + shape_str(sa) + " , " + shape_str(sb));
      ExpectFastMatchesRef(MakeNode(op, 2), {&a, &b}, 1e-6);
      ExpectFastMatchesRef(MakeNode(op, 2), {&b, &a}, 1e-6);
    }
  }
}

TEST(FastCpuKernels, UnaryOpsMatchReference) {
  Tensor x = Random({3, 1001, 7}, 7, -9, 9);
  for (const char* op : {"Erf", "Tanh", "Relu", "Sigmoid"}) {
    SCOPED_TRACE(op);
    ExpectFastMatchesRef(MakeNode(op, 1), {&x}, 1e-6);
  }
}

TEST(FastCpuKernels, FastKernelsDeclineNonFloat32) {
  Tensor a = I64({3}, {1, 2, 3});
  rt::EvaluateOptions o;
  o.kernel = "fast.Add";
  auto r = rt::EvaluateNode(backends::DefaultRegistry(), MakeNode("Add", 2), 17, {&a, &a}, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("only float32"), std::string::npos) << r.status().message();
  // The default choice still runs it (on ref.Add).
  ExpectTensor(Run1("Add", {&a, &a}), DType::kInt64, {3}, {2, 4, 6});
}

TEST(FastCpuKernels, SoftmaxLastAxisMatchesReference) {
  for (const Shape& s : std::vector<Shape>{{5, 49}, {2, 3, 1}, {7, 4096}, {1, 1031}}) {
    Tensor x = Random(s, 11, -30, 30);
    SCOPED_TRACE(shape_str(s));
    ExpectFastMatchesRef(MakeNode("Softmax", 1, {AttrI("axis", -1)}), {&x}, 1e-6);
  }
  // Not the last axis: declined, the reference runs.
  Tensor x = Random({4, 5}, 3);
  rt::EvaluateOptions o;
  o.kernel = "fast.Softmax";
  auto r = rt::EvaluateNode(backends::DefaultRegistry(), MakeNode("Softmax", 1, {AttrI("axis", 0)}), 17, {&x}, o);
  EXPECT_FALSE(r.ok());
}

TEST(FastCpuKernels, LayerNormMatchesReference) {
  for (auto [s, axis] : std::vector<std::pair<Shape, int64_t>>{{{3, 17}, -1}, {{2, 64, 768}, -1}, {{4, 5, 6}, 1}, {{3, 2, 45}, -1}}) {
    Shape norm(s.begin() + (axis < 0 ? s.size() + axis : axis), s.end());
    Tensor x = Random(s, 5, -3, 7), scale = Random(norm, 6), bias = Random(norm, 8);
    SCOPED_TRACE(shape_str(s));
    ExpectFastMatchesRef(MakeNode("LayerNormalization", 3, {AttrI("axis", axis), AttrF("epsilon", 1e-6f)}),
                         {&x, &scale, &bias}, 2e-6);
    ExpectFastMatchesRef(MakeNode("LayerNormalization", 2, {AttrI("axis", axis)}), {&x, &scale}, 2e-6);
  }
}

TEST(FastCpuKernels, MaxPoolMatchesReference) {
  struct Case { Shape x; std::vector<int64_t> k, s; };
  for (const Case& c : std::vector<Case>{{{1, 3, 16, 16}, {2, 2}, {2, 2}}, {{2, 5, 17, 13}, {3, 2}, {2, 1}},
                                         {{1, 2, 9, 9}, {3, 3}, {1, 1}}}) {
    Tensor x = Random(c.x, 21);
    SCOPED_TRACE(shape_str(c.x));
    ExpectFastMatchesRef(MakeNode("MaxPool", 1, {AttrInts("kernel_shape", c.k), AttrInts("strides", c.s)}), {&x}, 0);
  }
  // Padding: declined (the reference handles it).
  Tensor x = Random({1, 1, 4, 4}, 2);
  rt::EvaluateOptions o;
  o.kernel = "fast.MaxPool";
  auto r = rt::EvaluateNode(backends::DefaultRegistry(),
                            MakeNode("MaxPool", 1, {AttrInts("kernel_shape", {2, 2}), AttrInts("pads", {1, 1, 1, 1})}),
                            17, {&x}, o);
  EXPECT_FALSE(r.ok());
}

TEST(FastCpuKernels, GeluMatchesReferenceAndItsDefinition) {
  Tensor x = Random({5, 3001}, 9, -8, 8);
  for (const char* a : {"none", "tanh"}) {
    ir::Node n = MakeNode("Gelu", 1, {AttrS("approximate", a)});
    n.domain = "com.samq";
    SCOPED_TRACE(a);
    ExpectFastMatchesRef(n, {&x}, 1e-6);
    // ref.Gelu against the formula it implements, at hand-checkable points: Gelu(0) = 0,
    // Gelu(x) -> x for large x, -> 0 for very negative x.
    Tensor pts = F({3}, {0.0f, 10.0f, -10.0f});
    Tensor y = RunWith(n, {&pts}, "ref.Gelu");
    ExpectTensor(y, DType::kFloat32, {3}, {0.0, 10.0, 0.0}, 1e-6);
  }
}

}  // namespace
}  // namespace samq::testing::elem
