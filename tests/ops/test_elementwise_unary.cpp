// Unary elementwise ops on hand-derived values (derivations beside each case).
#include <limits>

#include "elementwise_test_util.h"

namespace samq::testing::elem {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
const float kNaNf = std::numeric_limits<float>::quiet_NaN();
const float kInff = std::numeric_limits<float>::infinity();

TEST(UnaryOps, ReluAbsNegSignFloat) {
  Tensor x = F({5}, {-2, -0.5f, 0, 3, kNaNf});
  ExpectTensor(Run1("Relu", {&x}), DType::kFloat32, {5}, {0, 0, 0, 3, kNaN});  // NaN passes
  ExpectTensor(Run1("Abs", {&x}), DType::kFloat32, {5}, {2, 0.5, 0, 3, kNaN});
  ExpectTensor(Run1("Neg", {&x}), DType::kFloat32, {5}, {2, 0.5, 0, -3, kNaN});
  ExpectTensor(Run1("Sign", {&x}), DType::kFloat32, {5}, {-1, -1, 0, 1, kNaN});
}

TEST(UnaryOps, IntegerAbsNegSignRelu) {
  // int64 min negates to itself (two's complement wrap), as NumPy and ONNX Runtime do.
  const int64_t mn = std::numeric_limits<int64_t>::min();
  Tensor x = I64({4}, {-5, 0, 7, mn});
  ExpectInt64(Run1("Abs", {&x}), DType::kInt64, {4}, {5, 0, 7, mn});
  ExpectInt64(Run1("Neg", {&x}), DType::kInt64, {4}, {5, 0, -7, mn});
  ExpectInt64(Run1("Sign", {&x}), DType::kInt64, {4}, {-1, 0, 1, -1});
  ExpectInt64(Run1("Relu", {&x}), DType::kInt64, {4}, {0, 0, 7, 0});
  Tensor y = I32({2}, {-3, 4});
  ExpectInt64(Run1("Neg", {&y}), DType::kInt32, {2}, {3, -4});
}

TEST(UnaryOps, MathFunctions) {
  // exp(0)=1, exp(1)=e; log(1)=0, log(e)=1, log(0)=-inf; sqrt(4)=2, sqrt(-1)=NaN; 1/4=0.25.
  Tensor x = F({3}, {0, 1, -1});
  ExpectTensor(Run1("Exp", {&x}), DType::kFloat32, {3}, {1, 2.718281828459045, 0.36787944117144233}, 1e-6);
  Tensor y = F({3}, {1, 2.718281828459045f, 0});
  ExpectTensor(Run1("Log", {&y}), DType::kFloat32, {3}, {0, 1, -kInf}, 1e-6);
  Tensor z = F({3}, {4, 0, -1});
  ExpectTensor(Run1("Sqrt", {&z}), DType::kFloat32, {3}, {2, 0, kNaN});
  ExpectTensor(Run1("Reciprocal", {&z}), DType::kFloat32, {3}, {0.25, kInf, -1});
  // sin(pi/2)=1, cos(0)=1, tanh(0)=0, tanh(inf)=1.
  Tensor w = F({2}, {1.5707963267948966f, 0});
  ExpectTensor(Run1("Sin", {&w}), DType::kFloat32, {2}, {1, 0}, 1e-6);
  ExpectTensor(Run1("Cos", {&w}), DType::kFloat32, {2}, {0, 1}, 1e-6);
  Tensor t = F({2}, {0, kInff});
  ExpectTensor(Run1("Tanh", {&t}), DType::kFloat32, {2}, {0, 1});
}

TEST(UnaryOps, ErfIsAccurate) {
  // erf(0)=0, erf(0.5)=0.5204998778130465, erf(1)=0.8427007929497149, erf(3)=0.9999779095030014
  // (tabulated values); erf is odd; erf(+-inf)=+-1.
  Tensor x = F({7}, {0, 0.5f, 1, 3, -1, kInff, -kInff});
  ExpectTensor(Run1("Erf", {&x}), DType::kFloat32, {7},
               {0, 0.5204998778130465, 0.8427007929497149, 0.9999779095030014, -0.8427007929497149, 1, -1},
               2e-7);
}

TEST(UnaryOps, SigmoidIsStableAtExtremes) {
  // sigmoid(0)=1/2; sigmoid(2)=1/(1+e^-2)=0.8807970779778823; far tails saturate without NaN.
  Tensor x = F({5}, {0, 2, -2, 1000, -1000});
  ExpectTensor(Run1("Sigmoid", {&x}), DType::kFloat32, {5},
               {0.5, 0.8807970779778823, 0.11920292202211755, 1, 0}, 1e-6);
}

TEST(UnaryOps, GeluExactAndTanh) {
  // none: 0.5 x (1 + erf(x / sqrt 2)); gelu(1) = 0.5 (1 + erf(0.70710678)) = 0.8413447460685429.
  // tanh: 0.5 (1 + tanh(0.7978845608 * (1 + 0.044715))) = 0.8411919906082768.
  Tensor x = F({3}, {1, 0, -1});
  ExpectTensor(Run1("Gelu", {&x}, {}, 20), DType::kFloat32, {3},
               {0.8413447460685429, 0, -0.15865525393145707}, 1e-6);
  ExpectTensor(Run1("Gelu", {&x}, {AttrS("approximate", "tanh")}, 20), DType::kFloat32, {3},
               {0.8411919906082768, 0, -0.15880800939172324}, 1e-6);
  EXPECT_NE(RunError("Gelu", {&x}, {AttrS("approximate", "erf")}, 20).find("approximate 'erf'"),
            std::string::npos);
}

TEST(UnaryOps, RoundIsHalfToEven) {
  // Ties go to the even neighbour: 0.5->0, 1.5->2, 2.5->2, -0.5->-0, -1.5->-2; others nearest.
  Tensor x = F({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, -2.6f});
  ExpectTensor(Run1("Round", {&x}), DType::kFloat32, {8}, {0, 2, 2, 0, -2, 2, 3, -3});
  ExpectTensor(Run1("Floor", {&x}), DType::kFloat32, {8}, {0, 1, 2, -1, -2, 2, 2, -3});
  ExpectTensor(Run1("Ceil", {&x}), DType::kFloat32, {8}, {1, 2, 3, -0., -1, 3, 3, -2});
}

TEST(UnaryOps, PiecewiseActivations) {
  Tensor x = F({4}, {-3, 0, 1, 3});
  // HardSigmoid (alpha .2, beta .5): clamp(0.2x + 0.5, 0, 1) -> 0 (-0.1 clamped), .5, .7, 1.
  ExpectTensor(Run1("HardSigmoid", {&x}), DType::kFloat32, {4}, {0, 0.5, 0.7, 1}, 1e-7);
  // HardSigmoid alpha 1, beta 0 -> clamp(x, 0, 1).
  ExpectTensor(Run1("HardSigmoid", {&x}, {AttrF("alpha", 1), AttrF("beta", 0)}), DType::kFloat32,
               {4}, {0, 0, 1, 1});
  // HardSwish: x * clamp(x/6 + 1/2, 0, 1) -> 0, 0, 1*(2/3), 3.
  ExpectTensor(Run1("HardSwish", {&x}), DType::kFloat32, {4}, {0, 0, 2.0 / 3, 3}, 1e-6);
  // LeakyRelu default alpha 0.01 and alpha 0.5.
  ExpectTensor(Run1("LeakyRelu", {&x}), DType::kFloat32, {4}, {-0.03, 0, 1, 3}, 1e-6);
  ExpectTensor(Run1("LeakyRelu", {&x}, {AttrF("alpha", 0.5f)}), DType::kFloat32, {4}, {-1.5, 0, 1, 3});
  // Elu alpha 1: e^-3 - 1 = -0.950212931632136.
  ExpectTensor(Run1("Elu", {&x}), DType::kFloat32, {4}, {-0.950212931632136, 0, 1, 3}, 1e-6);
  // Softplus: log(1+e^x): log(1+e^-3)=0.04858735157374206, log 2, 1.3132616875182228, 3.048587351573742.
  ExpectTensor(Run1("Softplus", {&x}), DType::kFloat32, {4},
               {0.04858735157374206, 0.6931471805599453, 1.3132616875182228, 3.048587351573742}, 1e-6);
}

TEST(UnaryOps, PredicatesAndNot) {
  Tensor x = F({4}, {1, kNaNf, kInff, -kInff});
  ExpectTensor(Run1("IsNaN", {&x}), DType::kBool, {4}, {0, 1, 0, 0});
  ExpectTensor(Run1("IsInf", {&x}), DType::kBool, {4}, {0, 0, 1, 1});
  ExpectTensor(Run1("IsInf", {&x}, {AttrI("detect_negative", 0)}), DType::kBool, {4}, {0, 0, 1, 0});
  ExpectTensor(Run1("IsInf", {&x}, {AttrI("detect_positive", 0)}), DType::kBool, {4}, {0, 0, 0, 1});
  Tensor b = B({3}, {1, 0, 1});
  ExpectTensor(Run1("Not", {&b}), DType::kBool, {3}, {0, 1, 0});
}

TEST(UnaryOps, EmptyScalarAndLargeTensors) {
  Tensor empty = F({0, 3}, {});
  Tensor y = Run1("Exp", {&empty});
  EXPECT_EQ(y.shape(), (Shape{0, 3}));
  Tensor s = Tensor::Scalar<float>(2.0f);
  ExpectTensor(Run1("Neg", {&s}), DType::kFloat32, {}, {-2});
  // A tensor big enough for the parallel path: relu(i - n/2) element by element.
  const int64_t n = 100003;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i - n / 2);
  Tensor big = F({n}, v);
  Tensor r = Run1("Relu", {&big});
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(r.data<float>()[i], std::max(0.0f, v[i])) << i;
}

TEST(UnaryOps, HalfPrecisionGoesThroughFloat) {
  // sqrt(4)=2 and sqrt(2.25)=1.5 are exact in float16 and bfloat16.
  for (DType t : {DType::kFloat16, DType::kBFloat16, DType::kFloat64}) {
    Tensor x = FromDoubles(t, {2}, {4, 2.25});
    ExpectTensor(Run1("Sqrt", {&x}), t, {2}, {2, 1.5});
  }
}

TEST(UnaryOps, UnsupportedTypesAreUserErrors) {
  Tensor i = I32({1}, {4});
  EXPECT_NE(RunError("Sqrt", {&i}).find("int32 is not supported"), std::string::npos);
  Tensor f = F({1}, {1});
  EXPECT_NE(RunError("Not", {&f}).find("not supported"), std::string::npos);
}

}  // namespace
}  // namespace samq::testing::elem
