// fast.QMBConv (com.samq QMBConv, see qmbconv.h): the quantized MBConv block in bands of output
// rows (mbconv_bands.h), every stage on a few rows in cache.
//
// Per step, the new input rows are quantized (QuantizeLinear, shifted to int8 codes: u8 q - 128
// with zero point zp - 128 keeps q - zp exact) and expanded by oneDNN's integer GEMM
// W1 [E x C] . Q [C x rows*W] into the row buffer as int32, with the zero-point term
// -zp' * sum_c W1[e, c] as a per-row offset, so the sums are exact. Each expanded row then becomes,
// in one pass, s1 * sw1[e] * acc + b1[e], GELU, and QuantizeLinear -> DequantizeLinear with the
// depthwise stage's (s2, zp2): exactly the float the depthwise QConv dequantizes. The depthwise
// stencil runs in float on those values with the weights dequantized once (the plane kernel of
// fast.DepthwiseConv), and its output rows go through GELU and the project stage's quantization
// straight into int8 codes. The project GEMM W3 [M x E] . D writes int32 into Y's rows, which
// become s3 * sw3[m] * acc + b3[m] (+ R, GELU) while in cache. The three per-value epilogues are
// cpu::GeluQuantDequantAcc, GeluQuantizeBytes and ScaleBiasGeluAcc (gelu_rows.h).
//
// Float operations per value are those of the unfused fast kernels (onednn.qconv1x1_nchw_*,
// fast.qconv_dw_*, fast.Add, fast.Gelu) in the same order: the fused block computes the same
// bits as the unfused graph on those kernels; against ref.QMBConv it differs by float summation
// order, which may move a requantized value across a rounding midpoint (see the tests).
//
// The int8 GEMM only accumulates exactly with VNNI (or AMX): elsewhere the kernel declines and
// ref.QMBConv runs.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/gelu_rows.h"
#include "backends/cpu/mbconv_bands.h"
#include "backends/cpu/onednn_int8_util.h"
#include "backends/cpu/qmbconv.h"
#include "backends/cpu/quantize_bytes.h"
#include "backends/reference/conv_geometry.h"
#include "core/quantize_math.h"

namespace samq::backends::fast {
namespace {

constexpr int kX = 0, kR = kQMBConvResidual;
// Per-thread working set aimed at, as fast.MBConv's.
constexpr int64_t kStepBytes = 4 << 20;

// How a stage quantizes its float input: codes clamp(rint(x / s) + zp, lo, hi), stored minus
// `shift` as int8 for the GEMM stages.
struct ActQuant {
  float scale = 1, zp = 0, lo = 0, hi = 255, shift = 128;
};

ActQuant ActQuantOf(const onednn::QuantParams& p) {
  ActQuant q;
  q.scale = p.x_scale;
  q.zp = static_cast<float>(p.x_zero_point);
  q.lo = p.u8 ? 0.f : -128.f;
  q.hi = p.u8 ? 255.f : 127.f;
  q.shift = p.u8 ? 128.f : 0.f;
  return q;
}

// A 1x1 stage as an integer GEMM: int8 weights [rows x depth], per-row output scale and bias,
// and the zero-point offset of the shifted codes.
struct PointwiseStage {
  ActQuant in;
  const int8_t* w = nullptr;
  int64_t rows = 0, depth = 0;
  std::vector<int32_t> row_offset;
  std::vector<float> scale, bias;
};

PointwiseStage MakePointwise(const onednn::QuantParams& p) {
  PointwiseStage s;
  s.in = ActQuantOf(p);
  s.w = p.weights.data<int8_t>();
  s.rows = p.weights.dim(0);
  s.depth = p.weights.dim(1);
  const int32_t zp_shifted = p.x_zero_point - static_cast<int32_t>(s.in.shift);
  for (int64_t r = 0; r < s.rows; ++r) {
    int32_t sum = 0;
    for (int64_t c = 0; c < s.depth; ++c) sum += s.w[r * s.depth + c];
    s.row_offset.push_back(-zp_shifted * sum);
    s.scale.push_back(p.out_scales[p.out_scales.size() == 1 ? 0 : r]);
    s.bias.push_back(p.bias.empty() ? 0.f : p.bias[r]);
  }
  return s;
}

// C[rows x cols] (int32, leading dimension ldc) = W . Q[depth x cols] + row offsets.
Status IntegerGemm(const PointwiseStage& st, int64_t cols, const int8_t* q, int32_t* c, int64_t ldc) {
  const dnnl::status s = dnnl::gemm_s8s8s32('N', 'N', 'C', st.rows, cols, st.depth, 1.f, st.w, st.depth, 0, q, cols,
                                            0, 0.f, c, ldc, st.row_offset.data());
  if (s != dnnl::status::success) return Status::Internal("oneDNN gemm_s8s8s32 failed in QMBConv");
  return Status::Ok();
}

SAMQ_CLONES void QuantizeShiftedRowPortable(const float* x, int64_t n, ActQuant q, int8_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(QuantizeToFloat(x[i], q.scale, q.zp, q.lo, q.hi) - q.shift);
}

void QuantizeShiftedRow(const float* x, int64_t n, ActQuant q, int8_t* out) {
  if (!cpu::QuantizeBytesAvx512(x, n, q.scale, static_cast<int32_t>(q.zp), static_cast<int32_t>(q.lo),
                                static_cast<int32_t>(q.hi), static_cast<int32_t>(q.shift), out))
    QuantizeShiftedRowPortable(x, n, q, out);
}

cpu::GeluQuant GeluQuantOf(ActQuant q) { return {q.scale, q.zp, q.lo, q.hi}; }

class FastQMBConv final : public rt::Kernel {
 public:
  FastQMBConv(DepthwisePlaneFn plane, std::unique_ptr<rt::Kernel> fallback, PointwiseStage expand, ActQuant dw_in,
              std::vector<float> wd, std::vector<float> bd, PointwiseStage project, std::vector<Tensor> weights)
      : plane_(plane), fallback_(std::move(fallback)), expand_(std::move(expand)), dw_in_(dw_in), wd_(std::move(wd)),
        bd_(std::move(bd)), project_(std::move(project)), weights_(std::move(weights)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(kX);
    SAMQ_ASSIGN_OR_RETURN(MBConvDims d, GetMBConvDims(ctx.node(), x.shape(), ctx.input(3).shape(), ctx.input(8).shape(),
                                                       ctx.input(13).shape()));
    const bool has_r = ctx.has_input(kR);
    // What this kernel was not built for (other weights at run time, a shape the factory could
    // not see) runs on the reference kernel, which also reports operand errors.
    if (x.dtype() != DType::kFloat32 || (has_r && ctx.input(kR).shape() != Shape{d.n, d.m, d.oh, d.ow}) ||
        ctx.input(3).raw() != weights_[0].raw() || ctx.input(8).raw() != weights_[1].raw() ||
        ctx.input(13).raw() != weights_[2].raw() || d.c != expand_.depth || d.e != expand_.rows ||
        d.e != project_.depth || d.m != project_.rows || PickDepthwisePlane(d.k, d.stride) != plane_ || d.oh <= 0 ||
        d.ow <= 0)
      return fallback_->Run(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    if (d.n == 0) return Status::Ok();
    const bool out_gelu = ctx.node().attr_string("activation", "none") == "gelu";
    const float* px = x.data<float>();
    const float* pr = has_r ? ctx.input(kR).data<float>() : nullptr;
    float* py = y.data<float>();

    const int64_t hw = d.h * d.w, ohw = d.oh * d.ow, k = d.k;
    // Per output row: the float expanded rows, the depthwise codes and the input codes.
    const int64_t step = MBConvStepRows(d, d.e * (d.w * d.stride * 4 + d.ow) + d.c * d.w * d.stride, kStepBytes);
    const int64_t cap = MBConvStepCap(d, step);
    const std::vector<float> zeros(static_cast<size_t>(d.w), 0.0f);
    struct Scratch {
      std::vector<int8_t> codes;  // quantized input rows [C x rows*W], then depthwise codes [E x rows*OW]
      std::vector<float> plane;   // one channel's depthwise output rows
    };
    auto expand = [&](Scratch& sc, int64_t n, int64_t row, int64_t rows, float* dst) -> Status {
      const int64_t cols = rows * d.w;
      sc.codes.resize(static_cast<size_t>(std::max(d.c * cap * d.w, d.e * step * d.ow)));
      const float* xr = px + n * d.c * hw + row * d.w;
      for (int64_t c = 0; c < d.c; ++c) QuantizeShiftedRow(xr + c * hw, cols, expand_.in, sc.codes.data() + c * cols);
      int32_t* acc = reinterpret_cast<int32_t*>(dst);
      SAMQ_RETURN_IF_ERROR(IntegerGemm(expand_, cols, sc.codes.data(), acc, cap * d.w));
      for (int64_t e = 0; e < d.e; ++e)
        cpu::GeluQuantDequantAcc(acc + e * cap * d.w, cols, expand_.scale[e], expand_.bias[e], GeluQuantOf(dw_in_));
      return Status::Ok();
    };
    auto finish = [&](Scratch& sc, int64_t n, int64_t o0, int64_t rows, const float* ex, int64_t buf_rows,
                      int64_t pad_rows) -> Status {
      const int64_t cols = rows * d.ow;
      sc.codes.resize(static_cast<size_t>(std::max(d.c * cap * d.w, d.e * step * d.ow)));
      sc.plane.resize(static_cast<size_t>(step * d.ow));
      for (int64_t e = 0; e < d.e; ++e) {
        plane_(ex + e * cap * d.w, buf_rows, d.w, wd_.data() + e * k * k, bd_[e], pad_rows, d.pad_left, zeros.data(),
               sc.plane.data(), rows, d.ow);
        cpu::GeluQuantizeBytes(sc.plane.data(), cols, GeluQuantOf(project_.in), static_cast<int32_t>(project_.in.shift),
                               sc.codes.data() + e * cols);
      }
      float* yrows = py + n * d.m * ohw + o0 * d.ow;
      SAMQ_RETURN_IF_ERROR(IntegerGemm(project_, cols, sc.codes.data(), reinterpret_cast<int32_t*>(yrows), ohw));
      for (int64_t m = 0; m < d.m; ++m)
        cpu::ScaleBiasGeluAcc(yrows + m * ohw, cols, project_.scale[m], project_.bias[m],
                              pr ? pr + (n * d.m + m) * ohw + o0 * d.ow : nullptr, out_gelu);
      return Status::Ok();
    };
    return ForEachMBConvStep<Scratch>(d, step, expand, finish);
  }

 private:
  DepthwisePlaneFn plane_;
  std::unique_ptr<rt::Kernel> fallback_;
  PointwiseStage expand_;
  ActQuant dw_in_;
  std::vector<float> wd_, bd_;  // depthwise weights dequantized [E x K x K], bias (zeros if none)
  PointwiseStage project_;
  std::vector<Tensor> weights_;  // the node's three int8 weights, to notice them overridden at run time
};

}  // namespace

std::unique_ptr<rt::Kernel> MakeFastQMBConv(const rt::KernelBuildInfo& info, std::string* why) {
  auto decline = [why](std::string reason) -> std::unique_ptr<rt::Kernel> {
    *why = std::move(reason);
    return nullptr;
  };
  if (!onednn::HasExactInt8Gemm()) return decline("CPU has no VNNI (int8 GEMM would saturate)");
  const auto stages = SplitQMBConvStages(info);
  onednn::QuantParams p[3];
  for (int s = 0; s < 3; ++s) {
    const rt::KernelBuildInfo si = stages[s].Info(info.opset, info.precision);
    const Tensor* zp = si.const_inputs.size() > 2 ? si.const_inputs[2] : nullptr;
    if (!zp) return decline("stage " + std::to_string(s) + ": activation zero point is not constant");
    std::string stage_why;
    if (!onednn::ReadQuantParams(si, 0, zp->dtype() == DType::kUInt8, &p[s], &stage_why))
      return decline("stage " + std::to_string(s) + ": " + stage_why);
    if (p[s].weights.rank() != 4) return decline("weights are not 4-D");
  }
  const Tensor& wd = p[1].weights;
  const int64_t e = wd.dim(0), k = wd.dim(2);
  if (wd.dim(1) != 1 || wd.dim(3) != k || p[0].weights.dim(0) != e || p[2].weights.dim(1) != e ||
      p[0].weights.dim(2) != 1 || p[0].weights.dim(3) != 1 || p[2].weights.dim(2) != 1 || p[2].weights.dim(3) != 1)
    return decline("weight shapes do not form an MBConv block");
  auto attrs = ReadWindowAttrs(info.node, 2, {k, k});
  if (!attrs.ok() || attrs->strides[0] != attrs->strides[1]) return decline("invalid or unequal strides");
  DepthwisePlaneFn plane = PickDepthwisePlane(k, attrs->strides[0]);
  if (!plane) return decline("depthwise kernel other than 3x3, 5x5, 7x7 with stride 1 or 2");

  // The depthwise weights dequantized once, as ref.QConv does on every run: (w - 0) * s_w[e].
  const Tensor* wd_scales = stages[1].consts[4];
  std::vector<float> wdf(static_cast<size_t>(wd.numel()));
  for (int64_t i = 0; i < wd.numel(); ++i)
    wdf[i] = DequantizeScalar(wd.data<int8_t>()[i], wd_scales->data<float>()[wd_scales->numel() == 1 ? 0 : i / (k * k)], 0);
  std::vector<float> bd = p[1].bias.empty() ? std::vector<float>(static_cast<size_t>(e), 0.f) : p[1].bias;

  std::string fallback_why;
  auto fallback = RefQMBConvCandidate().make(info, &fallback_why);
  if (!fallback) return decline("no reference fallback: " + fallback_why);
  std::vector<Tensor> weights{p[0].weights, p[1].weights, p[2].weights};
  return std::make_unique<FastQMBConv>(plane, std::move(fallback), MakePointwise(p[0]), ActQuantOf(p[1]),
                                       std::move(wdf), std::move(bd), MakePointwise(p[2]), std::move(weights));
}

}  // namespace samq::backends::fast
