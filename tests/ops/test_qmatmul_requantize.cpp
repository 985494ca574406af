// com.samq QMatMul / QMatMulGelu with 8-bit codes as x and with a requantized output (inputs 6
// and 7), what passes/fuse_requantize makes of an MLP's fc1 -> fc2:
// - the reference kernels: codes in give the bits that the float x those codes quantize from
//   gives; the requantized output is QuantizeLinear of the float output, bit for bit;
// - the oneDNN kernels: codes in give the same bits as float in (one kernel, same arithmetic);
//   the requantized output is within one step of QuantizeLinear of the kernel's own float output,
//   and differs from it only rarely (the oneDNN epilogue keeps the float in registers: a value
//   may differ by an ulp from the one the float path stores, flipping a rounding at a tie);
// - the codes' type must match the zero point's, an error otherwise.
#include "core/quantize_math.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {


ir::Node QNode(const std::string& op, int inputs) {
  ir::Node n = MakeNode(op, inputs);
  n.domain = "com.samq";
  return n;
}


Tensor ZeroPoint(bool u8, int zp) {
  return u8 ? Tensor::Scalar<uint8_t>(static_cast<uint8_t>(zp)) : Tensor::Scalar<int8_t>(static_cast<int8_t>(zp));
}

// QuantizeLinear(x, s, zp) as a tensor of the zero point's type.
Tensor Codes(const Tensor& x, float s, const Tensor& zp) {
  Tensor q = Tensor::Zeros(zp.dtype(), x.shape());
  const float* v = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (zp.dtype() == DType::kUInt8) q.data<uint8_t>()[i] = QuantizeScalar<uint8_t>(v[i], s, zp.data<uint8_t>()[0]);
    else q.data<int8_t>()[i] = QuantizeScalar<int8_t>(v[i], s, zp.data<int8_t>()[0]);
  }
  return q;
}

int CodeAt(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUInt8 ? t.data<uint8_t>()[i] : t.data<int8_t>()[i];
}

struct Case {
  Shape x;
  int64_t n;
  bool x_u8;
  int x_zp;
  bool bias, gelu;
  bool y_u8;
  int y_zp;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {{64, 128}, 96, true, 131, true, true, true, 127},  {{64, 128}, 96, true, 0, false, false, false, 0},
      {{3, 37, 40}, 33, false, -5, true, false, true, 255}, {{1, 1}, 1, true, 7, true, true, false, -128},
      {{200, 256}, 64, false, 0, true, true, false, 3},    {{130, 64}, 160, true, 255, false, true, true, 0}};
  return cases;
}

struct Operands {
  Tensor x, xs, xz, w, ws, b, ys, yz;
  float sx = 0, sy = 0;
};

Operands MakeOperands(const Case& c, uint32_t seed) {
  Operands o;
  const int64_t k = c.x.back();
  o.x = Random(c.x, seed, 1.5f);
  o.sx = c.x_u8 ? 7.0f / 255 : 3.5f / 127;
  o.xs = Tensor::Scalar<float>(o.sx);
  o.xz = ZeroPoint(c.x_u8, c.x_zp);
  o.w = RandomInt8({k, c.n}, seed + 1);
  o.ws = Random({c.n}, seed + 2, 0.002f);
  for (int64_t i = 0; i < c.n; ++i) o.ws.data<float>()[i] = std::fabs(o.ws.data<float>()[i]) + 0.004f;
  o.b = Random({c.n}, seed + 3);
  // The output spans beyond the output range (std ~ 0.4 sqrt(K)): saturation at both ends.
  o.sy = 0.02f * std::sqrt(static_cast<float>(k)) / (c.y_u8 ? 1.0f : 2.0f);
  o.ys = Tensor::Scalar<float>(o.sy);
  o.yz = ZeroPoint(c.y_u8, c.y_zp);
  return o;
}

std::string Describe(const Case& c) {
  return fmt::format("x {} N {} x {} zp {} {} {} y {} zp {}", shape_str(c.x), c.n, c.x_u8 ? "u8" : "s8", c.x_zp,
                     c.bias ? "bias" : "no bias", c.gelu ? "gelu" : "", c.y_u8 ? "u8" : "s8", c.y_zp);
}

// Inputs 0..7 with `x` as input 0; `requantize` adds inputs 6 and 7.
std::vector<const Tensor*> Inputs(const Operands& o, const Case& c, const Tensor* x, bool requantize) {
  std::vector<const Tensor*> ins{x, &o.xs, &o.xz, &o.w, &o.ws, c.bias ? &o.b : nullptr};
  if (requantize) ins.insert(ins.end(), {&o.ys, &o.yz});
  else if (!c.bias) ins.pop_back();
  return ins;
}

TEST(QMatMulRequantize, ReferenceCodesInAndRequantizedOutEqualTheFloatPath) {
  uint32_t seed = 11;
  for (const Case& c : Cases()) {
    const Operands o = MakeOperands(c, seed += 10);
    const std::string op = c.gelu ? "QMatMulGelu" : "QMatMul", ref = "ref." + op;
    const Tensor codes = Codes(o.x, o.sx, o.xz);
    const auto float_ins = Inputs(o, c, &o.x, false);
    const Tensor y = Eval1(QNode(op, static_cast<int>(float_ins.size())), float_ins, ref);
    // Codes in: the same bits as float in.
    const auto code_ins = Inputs(o, c, &codes, false);
    EXPECT_EQ(CountDiffering(y, Eval1(QNode(op, static_cast<int>(code_ins.size())), code_ins, ref)), 0) << Describe(c);
    // Requantized out: QuantizeLinear of the float output, with float or code input.
    const Tensor expected = Codes(y, o.sy, o.yz);
    for (const Tensor* x : {&o.x, &codes}) {
      const Tensor q = Eval1(QNode(op, 8), Inputs(o, c, x, true), ref);
      ASSERT_EQ(q.dtype(), o.yz.dtype()) << Describe(c);
      ASSERT_EQ(q.shape(), y.shape()) << Describe(c);
      for (int64_t i = 0; i < q.numel(); ++i)
        ASSERT_EQ(CodeAt(q, i), CodeAt(expected, i)) << Describe(c) << " element " << i;
    }
  }
}

TEST(QMatMulRequantize, OnednnKernelsMatchTheirFloatPath) {
  uint32_t seed = 101;
  int64_t values = 0, flips = 0, saturated_low = 0, saturated_high = 0;
  for (const Case& c : Cases()) {
    const Operands o = MakeOperands(c, seed += 10);
    const std::string op = c.gelu ? "QMatMulGelu" : "QMatMul";
    const std::string fast = CandidateName(op, c.x_u8 ? "onednn.qmatmul_u8s8_" : "onednn.qmatmul_s8s8_");
    ASSERT_FALSE(fast.empty()) << op;
    const Tensor codes = Codes(o.x, o.sx, o.xz);
    const auto float_ins = Inputs(o, c, &o.x, false);
    const Tensor y = Eval1(QNode(op, static_cast<int>(float_ins.size())), float_ins, fast);
    const auto code_ins = Inputs(o, c, &codes, false);
    EXPECT_EQ(CountDiffering(y, Eval1(QNode(op, static_cast<int>(code_ins.size())), code_ins, fast)), 0) << Describe(c);
    const Tensor expected = Codes(y, o.sy, o.yz);
    const Tensor q = Eval1(QNode(op, 8), Inputs(o, c, &codes, true), fast);
    ASSERT_EQ(q.dtype(), o.yz.dtype()) << Describe(c);
    ASSERT_EQ(q.numel(), y.numel()) << Describe(c);
    const int lo = c.y_u8 ? 0 : -128, hi = c.y_u8 ? 255 : 127;
    for (int64_t i = 0; i < q.numel(); ++i) {
      const int d = CodeAt(q, i) - CodeAt(expected, i);
      ASSERT_LE(std::abs(d), 1) << Describe(c) << " element " << i;
      flips += d != 0;
      saturated_low += CodeAt(q, i) == lo;
      saturated_high += CodeAt(q, i) == hi;
    }
    values += q.numel();
  }
  EXPECT_LE(flips * 1000, values) << flips << " of " << values << " codes differ by a step";
  // The cases reach the saturation at both ends of the output range.
  EXPECT_GT(saturated_low, 0);
  EXPECT_GT(saturated_high, 0);
  std::cout << flips << " of " << values << " codes differ by a step; " << saturated_low << " / " << saturated_high
            << " saturated low / high\n";
}

TEST(QMatMulRequantize, CodesOfAnotherTypeAreAnError) {
  Case c{{4, 8}, 4, true, 128, false, false, true, 0};
  Operands o = MakeOperands(c, 7);
  const Tensor s8_codes = Codes(o.x, o.sx, ZeroPoint(false, 0));  // zero point is uint8
  for (const std::string& kernel : {std::string("ref.QMatMul"), CandidateName("QMatMul", "onednn.qmatmul_u8s8_")}) {
    auto r = Eval(QNode("QMatMul", 5), {&s8_codes, &o.xs, &o.xz, &o.w, &o.ws}, kernel);
    ASSERT_FALSE(r.ok()) << kernel;
    EXPECT_NE(r.status().message().find("int8"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace samq::testing::linalg
