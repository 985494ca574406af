// Helpers for the MatMul / Gemm / Einsum / Conv / pooling tests: seeded random tensors, running a
// node on a named kernel candidate, running one kernel object on several input shapes (to
// exercise per-shape primitive caches), and a fast-vs-reference comparison with a relative
// tolerance.
#pragma once

#include <cstring>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "elementwise_test_util.h"
#include "runtime/evaluate_node.h"
#include "support/compare.h"

namespace samq::testing::linalg {

using elem::AttrF;
using elem::AttrI;
using elem::AttrInts;
using elem::AttrS;
using elem::ExpectTensor;
using elem::F;
using elem::MakeNode;

// A com.samq node with `inputs` inputs named as MakeNode names them.
inline ir::Node SamqOpNode(const std::string& op, int inputs) {
  ir::Node n = MakeNode(op, inputs);
  n.domain = "com.samq";
  return n;
}

// Standard-normal float32 values from a fixed seed (so a failure reproduces).
inline Tensor Random(Shape s, uint32_t seed, float scale = 1.0f) {
  Tensor t = Tensor::Zeros(DType::kFloat32, std::move(s));
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = dist(gen);
  return t;
}

// Uniform int8 values in [-127, 127] from a fixed seed (quantized weights).
inline Tensor RandomInt8(Shape s, uint32_t seed) {
  Tensor t = Tensor::Zeros(DType::kInt8, std::move(s));
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(dist(gen));
  return t;
}

// The candidate of com.samq `op` whose name starts with `prefix` ("onednn.qmatmul_u8s8_"); "" if none.
inline std::string CandidateName(const std::string& op, const std::string& prefix) {
  const auto* s = backends::DefaultRegistry().Find("com.samq", op);
  if (s)
    for (const auto& k : s->kernels)
      if (k.name.rfind(prefix, 0) == 0) return k.name;
  return "";
}

// A rel-pos table [g, kt, d] as the attention kernels take it (inputs 6, 7): random rows, or
// (`toeplitz`) SAM's get_rel_pos form table[x][k] = base[x - k + kt - 1] from a random base,
// which the fast kernels compute through base itself.
inline Tensor RelPosTable(int64_t g, int64_t kt, int64_t d, uint32_t seed, bool toeplitz) {
  if (!toeplitz) return Random({g, kt, d}, seed, 0.3f);
  const Tensor base = Random({g + kt - 1, d}, seed, 0.3f);
  Tensor t = Tensor::Zeros(DType::kFloat32, {g, kt, d});
  for (int64_t x = 0; x < g; ++x)
    for (int64_t k = 0; k < kt; ++k)
      std::memcpy(t.data<float>() + (x * kt + k) * d, base.data<float>() + (x - k + kt - 1) * d,
                  static_cast<size_t>(d) * sizeof(float));
  return t;
}

// Runs `node` with EvaluateNode on the candidate named `kernel` ("" = first that accepts).
// Inputs count as constants (weights prepack). Null inputs are omitted optional inputs.
inline Result<std::vector<Tensor>> Eval(ir::Node node, const std::vector<const Tensor*>& inputs,
                                        const std::string& kernel = "", int64_t opset = 17,
                                        bool constant_inputs = true) {
  for (size_t i = 0; i < inputs.size() && i < node.inputs.size(); ++i)
    if (!inputs[i]) node.inputs[i].clear();
  rt::EvaluateOptions opts;
  opts.kernel = kernel;
  opts.inputs_are_constant = constant_inputs;
  return rt::EvaluateNode(backends::DefaultRegistry(), node, opset, inputs, opts);
}

// The single output, failing the test on error.
inline Tensor Eval1(const ir::Node& node, const std::vector<const Tensor*>& inputs,
                    const std::string& kernel = "", int64_t opset = 17) {
  auto r = Eval(node, inputs, kernel, opset);
  EXPECT_TRUE(r.ok()) << kernel << ": " << r.status().message();
  return r.ok() ? r.value()[0] : Tensor();
}

// Builds the candidate `kernel` once, with `constant` marking which inputs it may treat as
// constants (from the first input set), then runs that one kernel object on every input set in
// turn and returns each first output. Static types given to the factory have -1 for the dims
// listed in `dynamic_dims` of input 0, as a session compiling a dynamic model would.
inline std::vector<Tensor> RunKernelOnShapes(const ir::Node& node, const std::string& kernel,
                                             const std::vector<std::vector<const Tensor*>>& sets,
                                             const std::vector<bool>& constant,
                                             const std::vector<int>& dynamic_dims = {},
                                             int64_t opset = 17) {
  std::vector<Tensor> outs;
  const rt::OpSchema* schema = backends::DefaultRegistry().Find(node.domain, node.op_type);
  EXPECT_NE(schema, nullptr);
  if (!schema || sets.empty()) return outs;
  std::vector<rt::TensorType> types;
  std::vector<const Tensor*> consts;
  for (size_t i = 0; i < sets[0].size(); ++i) {
    const Tensor* t = sets[0][i];
    rt::TensorType tt = t ? rt::TensorType::Of(*t) : rt::TensorType{};
    if (i == 0)
      for (int d : dynamic_dims) tt.dims[d] = -1;
    types.push_back(tt);
    consts.push_back(i < constant.size() && constant[i] ? t : nullptr);
  }
  rt::KernelBuildInfo info{node, opset, types, consts};
  std::unique_ptr<rt::Kernel> k;
  for (const auto& cand : schema->kernels) {
    if (cand.name != kernel) continue;
    std::string why;
    k = cand.make(info, &why);
    EXPECT_TRUE(k) << kernel << " declined: " << why;
  }
  if (!k) return outs;
  for (const auto& inputs : sets) {
    std::vector<rt::TensorType> rt_types;
    for (const Tensor* t : inputs) rt_types.push_back(t ? rt::TensorType::Of(*t) : rt::TensorType{});
    rt::InferContext ictx(node, opset, rt_types, inputs);
    Status st = schema->infer(ictx);
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok()) return outs;
    rt::KernelContext kctx(node, opset, inputs, ictx.output_types(),
                           [](DType d, const Shape& s, bool zero_fill) {
                             // Poison what the kernel promised to overwrite (see EvaluateNode).
                             Tensor t = Tensor::Zeros(d, s);
                             if (!zero_fill && t.nbytes() > 0) std::memset(t.raw(), 0xFF, t.nbytes());
                             return t;
                           });
    st = k->Run(kctx);
    EXPECT_TRUE(st.ok()) << st.message();
    if (!st.ok()) return outs;
    outs.push_back(kctx.outputs()[0]);
  }
  return outs;
}

// Why the candidate `kernel` declines this node ("" when it accepts).
inline std::string DeclineReason(const ir::Node& node, const std::vector<const Tensor*>& inputs,
                                 const std::vector<bool>& constant, const std::string& kernel,
                                 int64_t opset = 17) {
  const rt::OpSchema* schema = backends::DefaultRegistry().Find(node.domain, node.op_type);
  if (!schema) return "no schema";
  std::vector<rt::TensorType> types;
  std::vector<const Tensor*> consts;
  for (size_t i = 0; i < inputs.size(); ++i) {
    types.push_back(inputs[i] ? rt::TensorType::Of(*inputs[i]) : rt::TensorType{});
    consts.push_back(i < constant.size() && constant[i] ? inputs[i] : nullptr);
  }
  rt::KernelBuildInfo info{node, opset, types, consts};
  for (const auto& cand : schema->kernels) {
    if (cand.name != kernel) continue;
    std::string why;
    return cand.make(info, &why) ? "" : why;
  }
  return "no candidate " + kernel;
}

// Expects |got - want| <= rtol * max(1, max|want|) elementwise: a tolerance relative to the
// output's scale, which is what float32 summation error grows with.
inline void ExpectClose(const Tensor& want, const Tensor& got, double rtol, const std::string& what) {
  ASSERT_EQ(want.shape(), got.shape()) << what;
  double scale = 1;
  for (double v : want.AsDoubleVector()) scale = std::max(scale, std::fabs(v));
  Diff d = CompareTensors(want, got);
  EXPECT_EQ(d.nan_mismatch, 0) << what;
  EXPECT_LE(d.max_abs, rtol * scale) << what << ": " << d.str() << " (scale " << scale << ")";
}

// Rows [begin, end) of the flattened-to-2-D view [numel / last, last] (a copy).
inline Tensor Rows(const Tensor& t, int64_t begin, int64_t end) {
  const int64_t cols = t.dim(-1);
  Tensor out = Tensor::Zeros(t.dtype(), {end - begin, cols});
  std::copy(t.data<float>() + begin * cols, t.data<float>() + end * cols, out.data<float>());
  return out;
}

// Channels [begin, end) of an NCHW-style tensor, along dim 1 for `axis` = 1 or dim 0 for 0.
inline Tensor Channels(const Tensor& t, int axis, int64_t begin, int64_t end) {
  Shape s = t.shape();
  const int64_t outer = axis == 0 ? 1 : s[0];
  const int64_t inner = t.numel() / (outer * s[axis]);
  const int64_t total = s[axis];
  s[axis] = end - begin;
  Tensor out = Tensor::Zeros(t.dtype(), s);
  for (int64_t o = 0; o < outer; ++o)
    std::copy(t.data<float>() + (o * total + begin) * inner, t.data<float>() + (o * total + end) * inner,
              out.data<float>() + o * (end - begin) * inner);
  return out;
}

// A quantized attention's output against the reference's: the kernels quantize P from scores
// of different precision, so a P/scale within an ulp of a rounding boundary may land on the
// neighbouring step. Such flips must be rare (at most 1 element in 50 off by more than 1e-5) and
// each moves an output by at most about two steps of P (`p_step`) times max |v|.
inline void ExpectRareRoundingFlips(const Tensor& want, const Tensor& got, double p_step, const Tensor& v) {
  ASSERT_EQ(want.numel(), got.numel());
  float vmax = 0;
  for (int64_t i = 0; i < v.numel(); ++i) vmax = std::max(vmax, std::fabs(v.data<float>()[i]));
  const double flip_bound = 2.0 * p_step * vmax;
  int64_t off = 0;
  double worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double e = std::fabs(static_cast<double>(want.data<float>()[i]) - got.data<float>()[i]);
    worst = std::max(worst, e);
    off += e > 1e-5;
  }
  EXPECT_LE(worst, flip_bound) << "more than a rounding flip";
  EXPECT_LE(off, want.numel() / 50) << "rounding flips are not rare";
}

}  // namespace samq::testing::linalg
