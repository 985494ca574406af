// Schemas and reference kernels of samq's internal quantized ops (domain "com.samq"), which the
// QDQ folding pass (passes/fold_qdq_to_integer.h) makes out of QuantizeLinear/DequantizeLinear
// groups:
//   QuantDequant(x, s, zp)                       = DequantizeLinear(QuantizeLinear(x, s, zp), s, zp)
//   QMatMul(x, s_x, zp_x, W[K,N] int8, s_w[, b][, s_y, zp_y])
//       = QuantDequant(x) @ (W * s_w) (+ b), then QuantizeLinear(., s_y, zp_y) when s_y/zp_y are given
//         (scalars, or [N]: one per output column)
//   QMatMulGelu(same inputs) = QMatMul with the erf GELU before the output's QuantizeLinear
//   QConv(x, s_x, zp_x, W int8, s_w[, b], attrs)  = Conv(QuantDequant(x), W * s_w[, b], attrs)
// A QMatMul's x may also be the 8-bit codes of QuantizeLinear(x, s_x, zp_x) itself (type of zp_x):
// passes/fuse_requantize hands a QMatMul's codes straight to the next one that way.
// The reference kernels compute exactly those right-hand sides (dequantize, then the float
// reference MatMul/Conv), so they are the oracle the integer kernels are tested against, and
// they equal the unfolded ONNX graph bit for bit.
#include <cmath>

#include "backends/reference/conv_geometry.h"
#include "backends/reference/linalg_nn_families.h"
#include "backends/reference/samq_qops.h"
#include "backends/registry.h"
#include "core/parallel.h"
#include "core/quantize_math.h"
#include "passes/fold_qdq_to_integer.h"

namespace samq::backends {
namespace {

// `codes_ok`: x may be 8-bit codes of zp_x's type instead of float32 (QMatMul).
Status CheckActivationParams(const rt::InferContext& ctx, bool codes_ok = false) {
  const DType z = ctx.input_type(2).dtype;
  if (z != DType::kUndefined && z != DType::kUInt8 && z != DType::kInt8)
    return ctx.Error("activation zero point is {}, uint8 or int8 expected", dtype_name(z));
  const auto& x = ctx.input_type(0);
  const bool codes = codes_ok && (x.dtype == DType::kUInt8 || x.dtype == DType::kInt8);
  if (codes && z != DType::kUndefined && x.dtype != z)
    return ctx.Error("input codes are {} but the zero point is {}", dtype_name(x.dtype), dtype_name(z));
  if (x.dtype != DType::kUndefined && x.dtype != DType::kFloat32 && !codes)
    return ctx.Error("input is {}, float32 expected", dtype_name(x.dtype));
  const auto& s = ctx.input_type(1);
  if (s.dtype != DType::kUndefined && s.dtype != DType::kFloat32)
    return ctx.Error("activation scale is {}, float32 expected", dtype_name(s.dtype));
  return Status::Ok();
}

// The output type of a QMatMul: float32, or the type of zp_y (input 7) when it requantizes.
Result<DType> QMatMulOutputType(const rt::InferContext& ctx) {
  if (ctx.node().has_input(6) != ctx.node().has_input(7))
    return ctx.Error("output scale and zero point (inputs 6, 7) come together");
  if (!ctx.node().has_input(7)) return DType::kFloat32;
  const auto& s = ctx.input_type(6);
  if (s.dtype != DType::kUndefined && s.dtype != DType::kFloat32)
    return ctx.Error("output scale is {}, float32 expected", dtype_name(s.dtype));
  const DType z = ctx.input_type(7).dtype;
  if (z != DType::kUInt8 && z != DType::kInt8)
    return ctx.Error("output zero point is {}, uint8 or int8 expected", dtype_name(z));
  return z;
}

Status InferQuantDequant(rt::InferContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckActivationParams(ctx));
  const auto& x = ctx.input_type(0);
  if (x.rank_known) ctx.set_output(0, DType::kFloat32, x.dims);
  else ctx.set_output_unknown_rank(0, DType::kFloat32);
  return Status::Ok();
}

// One chunk of QuantDequant. Built for AVX-512 too (chosen at load time): the per-element
// division dominates, and 16 lanes make a requantization point cost about one memory pass. The
// arithmetic is IEEE either way, so both builds give identical bits.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "default")))
#endif
void QuantDequantRange(const float* xv, float* out, int64_t b, int64_t e, float s, float z, float lo, float hi) {
  for (int64_t i = b; i < e; ++i) out[i] = (QuantizeToFloat(xv[i], s, z, lo, hi) - z) * s;
}

// (float(clamp(rint(x/s)+zp)) - zp) * s for every element: QuantizeLinear then DequantizeLinear.
void QuantDequantInto(const Tensor& x, const Tensor& scale, const Tensor& zp, float* out) {
  const float s = scale.data<float>()[0];
  const bool u8 = zp.dtype() == DType::kUInt8;
  const float z = u8 ? zp.data<uint8_t>()[0] : zp.data<int8_t>()[0];
  const float lo = u8 ? 0.f : -128.f, hi = u8 ? 255.f : 127.f;
  const float* xv = x.data<float>();
  parallel_for(x.numel(), 1 << 14, [&](int64_t b, int64_t e) { QuantDequantRange(xv, out, b, e, s, z, lo, hi); });
}

Status CheckScalarParams(const rt::KernelContext& ctx) {
  if (ctx.input(1).numel() != 1 || ctx.input(2).numel() != 1)
    return ctx.Error("activation scale and zero point must be scalars");
  return Status::Ok();
}

// A QMatMul's output quantization: scalars, or one scale and zero point per output column (the
// last axis; passes/fuse_attention_codes gives a qkv projection Q's, K's and V's).
Status CheckOutputParams(const rt::KernelContext& ctx, int64_t columns) {
  if (!ctx.has_input(7)) return Status::Ok();
  const int64_t n = ctx.input(6).numel();
  if (n != ctx.input(7).numel() || (n != 1 && n != columns))
    return ctx.Error("output scale and zero point must be scalars or {} values (one per column)", columns);
  return Status::Ok();
}

// The activation as the float op sees it: QuantDequant(x), or the dequantized codes.
Tensor DequantizedActivation(const Tensor& x, const Tensor& scale, const Tensor& zp) {
  Tensor out = Tensor::Zeros(DType::kFloat32, x.shape());
  float* o = out.data<float>();
  if (x.dtype() == DType::kFloat32) {
    QuantDequantInto(x, scale, zp, o);
    return out;
  }
  const float s = scale.data<float>()[0];
  const bool u8 = zp.dtype() == DType::kUInt8;
  const int32_t z = u8 ? zp.data<uint8_t>()[0] : zp.data<int8_t>()[0];
  for (int64_t i = 0; i < x.numel(); ++i)
    o[i] = DequantizeScalar(u8 ? x.data<uint8_t>()[i] : x.data<int8_t>()[i], s, z);
  return out;
}

Status RunQuantDequant(rt::KernelContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckScalarParams(ctx));
  QuantDequantInto(ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(0).data<float>());
  return Status::Ok();
}

// The int8 weight times its per-tensor or per-channel scale; `channel_stride` elements share a
// channel index, which cycles every `channels` (axis 1 of [K,N]: stride 1; axis 0 of OIHW: I*H*W).
Tensor DequantizeWeight(const Tensor& w, const Tensor& scale, int64_t channel_stride, int64_t channels) {
  Tensor out = Tensor::Zeros(DType::kFloat32, w.shape());
  const int8_t* wv = w.data<int8_t>();
  const float* sv = scale.data<float>();
  float* o = out.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    const int64_t c = scale.numel() == 1 ? 0 : (i / channel_stride) % channels;
    o[i] = DequantizeScalar(wv[i], sv[c], 0);
  }
  return out;
}

Status CheckWeight(const rt::InferContext& ctx, int rank, int channel_axis) {
  const auto& w = ctx.input_type(3);
  if (w.dtype != DType::kUndefined && w.dtype != DType::kInt8)
    return ctx.Error("weights are {}, int8 expected", dtype_name(w.dtype));
  if (w.rank_known && w.rank() != rank) return ctx.Error("weights must have rank {}, got {}", rank, w.str());
  const auto& s = ctx.input_type(4);
  if (s.fully_known() && w.fully_known() && shape_numel(s.dims) != 1 &&
      !(s.rank() == 1 && s.dims[0] == w.dims[channel_axis]))
    return ctx.Error("weight scale {} must have 1 or {} values", s.str(), w.dims[channel_axis]);
  return Status::Ok();
}

Status InferQMatMul(rt::InferContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckActivationParams(ctx, /*codes_ok=*/true));
  SAMQ_RETURN_IF_ERROR(CheckWeight(ctx, 2, 1));
  SAMQ_ASSIGN_OR_RETURN(const DType out_type, QMatMulOutputType(ctx));
  const auto& x = ctx.input_type(0);
  const auto& w = ctx.input_type(3);
  if (!x.rank_known || !w.rank_known) {
    ctx.set_output_unknown_rank(0, out_type);
    return Status::Ok();
  }
  if (x.rank() < 1) return ctx.Error("input must have rank >= 1");
  const int64_t k = x.dims.back();
  if (k >= 0 && w.dims[0] >= 0 && k != w.dims[0])
    return ctx.Error("input {} and weights {} differ in K", x.str(), w.str());
  Shape out(x.dims.begin(), x.dims.end() - 1);
  out.push_back(w.dims[1]);
  ctx.set_output(0, out_type, out);
  return Status::Ok();
}

// Runs a reference float kernel on stand-in inputs, as if this node were `op_type`.
Status RunAsFloatOp(rt::KernelContext& ctx, const std::string& op_type, const rt::KernelCandidate& ref,
                    std::vector<const Tensor*> inputs) {
  ir::Node n = ctx.node();
  n.op_type = op_type;
  n.domain.clear();
  n.inputs.resize(inputs.size());
  rt::KernelBuildInfo info{n, ctx.opset(), std::vector<rt::TensorType>(inputs.size()),
                           std::vector<const Tensor*>(inputs.size(), nullptr)};
  std::string why;
  auto kernel = ref.make(info, &why);
  if (!kernel) return ctx.Error("reference {} declined: {}", op_type, why);
  rt::TensorType out_type = ctx.output_type(0);
  out_type.dtype = DType::kFloat32;  // a requantizing QMatMul's output is 8-bit; the float op's is not
  rt::KernelContext inner(n, ctx.opset(), std::move(inputs), {out_type},
                          [](DType t, const Shape& s, bool) { return Tensor::Zeros(t, s); });
  SAMQ_RETURN_IF_ERROR(kernel->Run(inner));
  ctx.set_output(0, inner.outputs()[0]);
  return Status::Ok();
}

// GELU in double with libm erf: the oracle of every fused GELU.
void GeluErfExact(Tensor& y) {
  float* p = y.data<float>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    const double v = p[i];
    p[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
  }
}

// QuantizeLinear of the float result into the node's 8-bit output (inputs 6, 7; per-tensor or
// per last-axis column).
void RequantizeOutput(rt::KernelContext& ctx, const Tensor& y) {
  const Tensor& scale = ctx.input(6);
  const Tensor& zp = ctx.input(7);
  const int64_t n = scale.numel();  // 1 or the column count (CheckOutputParams)
  Tensor q = Tensor::Zeros(zp.dtype(), y.shape());
  const float* v = y.data<float>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int64_t c = i % n;
    const float s = scale.data<float>()[c];
    if (zp.dtype() == DType::kUInt8) q.data<uint8_t>()[i] = QuantizeScalar<uint8_t>(v[i], s, zp.data<uint8_t>()[c]);
    else q.data<int8_t>()[i] = QuantizeScalar<int8_t>(v[i], s, zp.data<int8_t>()[c]);
  }
  ctx.set_output(0, std::move(q));
}

Status RunRefQMatMulImpl(rt::KernelContext& ctx, bool gelu) {
  SAMQ_RETURN_IF_ERROR(CheckScalarParams(ctx));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(3);
  if (x.dtype() != DType::kFloat32 && x.dtype() != ctx.input(2).dtype())
    return ctx.Error("input codes are {} but the zero point is {}", dtype_name(x.dtype()),
                     dtype_name(ctx.input(2).dtype()));
  SAMQ_RETURN_IF_ERROR(CheckOutputParams(ctx, w.dim(1)));
  Tensor xq = DequantizedActivation(x, ctx.input(1), ctx.input(2));
  Tensor wf = DequantizeWeight(w, ctx.input(4), 1, w.dim(1));
  SAMQ_RETURN_IF_ERROR(RunAsFloatOp(ctx, "MatMul", RefMatMulCandidate(), {&xq, &wf}));
  Tensor& y = ctx.outputs()[0];
  if (ctx.has_input(5)) {  // the Add the pass absorbed: y + b, broadcast over rows
    const Tensor& b = ctx.input(5);
    const int64_t n = b.numel();
    if (n != w.dim(1)) return ctx.Error("bias has {} values, {} expected", n, w.dim(1));
    float* yv = y.data<float>();
    for (int64_t i = 0; i < y.numel(); ++i) yv[i] += b.data<float>()[i % n];
  }
  if (gelu) GeluErfExact(y);
  if (ctx.has_input(7)) RequantizeOutput(ctx, y);
  return Status::Ok();
}

Status RunRefQMatMul(rt::KernelContext& ctx) { return RunRefQMatMulImpl(ctx, false); }
Status RunRefQMatMulGelu(rt::KernelContext& ctx) { return RunRefQMatMulImpl(ctx, true); }

Status InferQConv(rt::InferContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckActivationParams(ctx));
  SAMQ_RETURN_IF_ERROR(CheckWeight(ctx, 4, 0));
  const auto& x = ctx.input_type(0);
  const auto& w = ctx.input_type(3);
  if (!w.rank_known) {
    ctx.set_output_unknown_rank(0, DType::kFloat32);
    return Status::Ok();
  }
  const Shape xd = x.rank_known ? x.dims : Shape(4, -1);
  SAMQ_ASSIGN_OR_RETURN(ConvProblem p, MakeConvProblem(ctx.node(), xd, w.dims, /*transpose=*/false));
  ctx.set_output(0, DType::kFloat32, p.out_shape);
  return Status::Ok();
}

Status RunRefQConv(rt::KernelContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckScalarParams(ctx));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(3);
  Tensor xq = Tensor::Zeros(DType::kFloat32, x.shape());
  QuantDequantInto(x, ctx.input(1), ctx.input(2), xq.data<float>());
  Tensor wf = DequantizeWeight(w, ctx.input(4), w.numel() / std::max<int64_t>(w.dim(0), 1), w.dim(0));
  std::vector<const Tensor*> ins{&xq, &wf};
  if (ctx.has_input(5)) ins.push_back(&ctx.input(5));
  return RunAsFloatOp(ctx, "Conv", RefConvCandidate(), ins);
}

rt::OpSchema Schema(std::string op, int min_in, int max_in, rt::InferFn infer, rt::RunFn run) {
  rt::OpSchema s;
  s.op_type = op;
  s.domain = passes::kSamqDomain;
  s.min_inputs = min_in;
  s.max_inputs = max_in;
  s.infer = std::move(infer);
  s.kernels.push_back(rt::MakeStatelessKernel("ref." + op, std::move(run)));  // same as Ref*Candidate
  return s;
}

}  // namespace

rt::KernelCandidate RefQMatMulCandidate() { return rt::MakeStatelessKernel("ref.QMatMul", RunRefQMatMul); }
rt::KernelCandidate RefQMatMulGeluCandidate() {
  return rt::MakeStatelessKernel("ref.QMatMulGelu", RunRefQMatMulGelu);
}
rt::KernelCandidate RefQConvCandidate() { return rt::MakeStatelessKernel("ref.QConv", RunRefQConv); }

void RegisterSamqQuantOps(rt::OpRegistry& r) {
  r.Register(Schema("QuantDequant", 3, 3, InferQuantDequant, RunQuantDequant));
  r.Register(Schema("QMatMul", 5, 8, InferQMatMul, RunRefQMatMul));
  r.Register(Schema("QConv", 5, 6, InferQConv, RunRefQConv));
}

}  // namespace samq::backends
