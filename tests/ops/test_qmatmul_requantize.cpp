// com.samq QMatMul / QMatMulGelu with 8-bit codes as x and with a requantized output (inputs 6
// and 7), what passes/fuse_requantize makes of an MLP's fc1 -> fc2:
// - the reference kernels: codes in give the bits that the float x those codes quantize from
//   gives; the requantized output is QuantizeLinear of the float output, bit for bit;
// - the oneDNN kernels: codes in give the same bits as float in (one kernel, same arithmetic);
//   the requantized output is within one step of QuantizeLinear of the kernel's own float output,
//   and differs from it only rarely (the oneDNN epilogue keeps the float in registers: a value
//   may differ by an ulp from the one the float path stores, flipping a rounding at a tie);
// - the codes' type must match the zero point's, an error otherwise.
#include <algorithm>

#include "core/quantize_math.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

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
    const Tensor y = Eval1(SamqOpNode(op, static_cast<int>(float_ins.size())), float_ins, ref);
    // Codes in: the same bits as float in.
    const auto code_ins = Inputs(o, c, &codes, false);
    EXPECT_EQ(CountDiffering(y, Eval1(SamqOpNode(op, static_cast<int>(code_ins.size())), code_ins, ref)), 0) << Describe(c);
    // Requantized out: QuantizeLinear of the float output, with float or code input.
    const Tensor expected = Codes(y, o.sy, o.yz);
    for (const Tensor* x : {&o.x, &codes}) {
      const Tensor q = Eval1(SamqOpNode(op, 8), Inputs(o, c, x, true), ref);
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
    const Tensor y = Eval1(SamqOpNode(op, static_cast<int>(float_ins.size())), float_ins, fast);
    const auto code_ins = Inputs(o, c, &codes, false);
    EXPECT_EQ(CountDiffering(y, Eval1(SamqOpNode(op, static_cast<int>(code_ins.size())), code_ins, fast)), 0) << Describe(c);
    const Tensor expected = Codes(y, o.sy, o.yz);
    const Tensor q = Eval1(SamqOpNode(op, 8), Inputs(o, c, &codes, true), fast);
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

// Per-column output quantization (passes/fuse_attention_codes: Q's, K's and V's parameters on
// one qkv projection): inputs 6 and 7 hold one scale and zero point per output column. The
// reference quantizes each column with its own pair, bit for bit; the oneDNN kernel folds the
// division into its output scales and bias, so it is within one step of that and rarely off.
TEST(QMatMulRequantize, PerColumnOutputQuantization) {
  uint32_t seed = 301;
  int64_t values = 0, flips = 0;
  for (const Case& c : Cases()) {
    if (c.gelu) continue;  // the pass never puts one after a GELU (the kernel declines it: below)
    const Operands o = MakeOperands(c, seed += 10);
    // Three column groups with their own parameters, as Q, K and V of a qkv projection.
    Tensor ys = Tensor::Zeros(DType::kFloat32, {c.n});
    Tensor yz = Tensor::Zeros(o.yz.dtype(), {c.n});
    for (int64_t j = 0; j < c.n; ++j) {
      const int64_t part = j * 3 / c.n;
      ys.data<float>()[j] = o.sy * (1.0f + 0.37f * static_cast<float>(part));
      const int zp = c.y_zp + (c.y_u8 ? -20 : 9) * static_cast<int>(part);
      if (c.y_u8) yz.data<uint8_t>()[j] = static_cast<uint8_t>(std::clamp(zp, 0, 255));
      else yz.data<int8_t>()[j] = static_cast<int8_t>(std::clamp(zp, -128, 127));
    }
    std::vector<const Tensor*> ins = Inputs(o, c, &o.x, true);
    ins[6] = &ys;
    ins[7] = &yz;
    const auto float_ins = Inputs(o, c, &o.x, false);
    auto expected_codes = [&](const Tensor& y) {
      Tensor q = Tensor::Zeros(yz.dtype(), y.shape());
      for (int64_t i = 0; i < y.numel(); ++i) {
        const int64_t j = i % c.n;
        const float v = y.data<float>()[i], s = ys.data<float>()[j];
        if (c.y_u8) q.data<uint8_t>()[i] = QuantizeScalar<uint8_t>(v, s, yz.data<uint8_t>()[j]);
        else q.data<int8_t>()[i] = QuantizeScalar<int8_t>(v, s, yz.data<int8_t>()[j]);
      }
      return q;
    };
    const Tensor ref_y = Eval1(SamqOpNode("QMatMul", static_cast<int>(float_ins.size())), float_ins, "ref.QMatMul");
    const Tensor ref_q = Eval1(SamqOpNode("QMatMul", 8), ins, "ref.QMatMul");
    const Tensor ref_expected = expected_codes(ref_y);
    ASSERT_EQ(ref_q.dtype(), yz.dtype()) << Describe(c);
    for (int64_t i = 0; i < ref_q.numel(); ++i)
      ASSERT_EQ(CodeAt(ref_q, i), CodeAt(ref_expected, i)) << Describe(c) << " element " << i;
    const std::string fast = CandidateName("QMatMul", c.x_u8 ? "onednn.qmatmul_u8s8_" : "onednn.qmatmul_s8s8_");
    const Tensor fast_y = Eval1(SamqOpNode("QMatMul", static_cast<int>(float_ins.size())), float_ins, fast);
    const Tensor fast_q = Eval1(SamqOpNode("QMatMul", 8), ins, fast);
    const Tensor fast_expected = expected_codes(fast_y);
    ASSERT_EQ(fast_q.dtype(), yz.dtype()) << Describe(c);
    for (int64_t i = 0; i < fast_q.numel(); ++i) {
      const int d = CodeAt(fast_q, i) - CodeAt(fast_expected, i);
      ASSERT_LE(std::abs(d), 1) << Describe(c) << " element " << i;
      flips += d != 0;
    }
    values += fast_q.numel();
    // A scalar-or-N size only: N - 1 values is an error.
    Tensor short_scales = Tensor::Zeros(DType::kFloat32, {c.n - 1});
    if (c.n > 2) {
      std::vector<const Tensor*> bad = ins;
      bad[6] = &short_scales;
      EXPECT_FALSE(Eval(SamqOpNode("QMatMul", 8), bad, "ref.QMatMul").ok()) << Describe(c);
    }
  }
  EXPECT_LE(flips * 1000, values) << flips << " of " << values << " codes differ by a step";
  std::cout << flips << " of " << values << " per-column codes differ by a step\n";
}

TEST(QMatMulRequantize, PerColumnOutputAfterGeluTakesTheReference) {
  const Case c{{8, 16}, 6, true, 128, true, true, true, 0};
  const Operands o = MakeOperands(c, 3);
  Tensor ys = Tensor::Zeros(DType::kFloat32, {c.n});
  Tensor yz = Tensor::Zeros(DType::kUInt8, {c.n});
  for (int64_t j = 0; j < c.n; ++j) ys.data<float>()[j] = o.sy;
  std::vector<const Tensor*> ins = Inputs(o, c, &o.x, true);
  ins[6] = &ys;
  ins[7] = &yz;
  const std::string fast = CandidateName("QMatMulGelu", "onednn.qmatmul_u8s8_");
  auto r = Eval(SamqOpNode("QMatMulGelu", 8), ins, fast);
  ASSERT_FALSE(r.ok());  // the candidate declines the node (the session then takes ref.QMatMulGelu)
  EXPECT_NE(r.status().message().find("per-column"), std::string::npos) << r.status().message();
  EXPECT_TRUE(Eval(SamqOpNode("QMatMulGelu", 8), ins, "ref.QMatMulGelu").ok());
}

TEST(QMatMulRequantize, CodesOfAnotherTypeAreAnError) {
  Case c{{4, 8}, 4, true, 128, false, false, true, 0};
  Operands o = MakeOperands(c, 7);
  const Tensor s8_codes = Codes(o.x, o.sx, ZeroPoint(false, 0));  // zero point is uint8
  for (const std::string& kernel : {std::string("ref.QMatMul"), CandidateName("QMatMul", "onednn.qmatmul_u8s8_")}) {
    auto r = Eval(SamqOpNode("QMatMul", 5), {&s8_codes, &o.xs, &o.xz, &o.w, &o.ws}, kernel);
    ASSERT_FALSE(r.ok()) << kernel;
    EXPECT_NE(r.status().message().find("int8"), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace samq::testing::linalg
