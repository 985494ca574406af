// com.samq LayerNorm2d(x, w, b), attribute epsilon (from passes/fuse_layer_norm_2d): per pixel of
// an NCHW float32 x, normalize over the C channels,
//   y[n, c, p] = w[c] * ((x[n, c, p] - mean) / sqrt(var + eps)) + b[c],
// with mean and (biased) var over c — the formula of the nine nodes it replaces, in their order
// of operations. w and b are [C, 1, 1].
//
// fast.LayerNorm2d works on blocks of pixels: the channel reads of one block are strided by
// H*W, so per block it sums channel rows into per-pixel accumulators (contiguous, vectorizable),
// then the squared deviations, then writes the output — three passes over a block that stays in
// cache, instead of nine passes over the whole tensor. Both kernels repeat the unfused graph's
// arithmetic on samq's kernels exactly: channel sums in double in channel order, divided in double
// and rounded (ref.ReduceMean), d * d in float (ref.Pow with exponent 2), then float32 add, sqrt,
// div, mul, add — so fusing changes no bit (quantized decoders amplify one-ulp differences into
// quantization-step flips). The file is built with -ffp-contract=off (CMakeLists.txt) so the
// AVX-512 clone keeps w * n + b as two roundings.
#include <cmath>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/layer_norm_2d.h"
#include "backends/reference/infer_util.h"
#include "core/parallel.h"

namespace samq::backends::cpu {
namespace {

constexpr int64_t kBlock = 256;  // pixels per block: C x 1 KB stays in L2 for C up to ~512

Status CheckInputs(const rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor &w = ctx.input(1), &b = ctx.input(2);
  if (x.dtype() != DType::kFloat32 || w.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32)
    return ctx.Error("float32 only");
  if (x.rank() != 4) return ctx.Error("x must be 4-D NCHW, got {}", shape_str(x.shape()));
  const Shape per_channel{x.dim(1), 1, 1};
  if (w.shape() != per_channel || b.shape() != per_channel)
    return ctx.Error("w and b must be {} for x {}", shape_str(per_channel), shape_str(x.shape()));
  return Status::Ok();
}

Status InferLayerNorm2d(rt::InferContext& ctx) { return InferSameAsInput(ctx); }

SAMQ_CLONES void NormalizeBlock(const float* x, int64_t c_count, int64_t hw, int64_t len, const float* w,
                                const float* b, float eps, float* y) {
  double acc[kBlock];
  float mean[kBlock], den[kBlock];
  const double count = static_cast<double>(c_count);
  for (int64_t p = 0; p < len; ++p) acc[p] = 0.0;
  for (int64_t c = 0; c < c_count; ++c) {
    const float* row = x + c * hw;
    for (int64_t p = 0; p < len; ++p) acc[p] += static_cast<double>(row[p]);
  }
  for (int64_t p = 0; p < len; ++p) {
    mean[p] = static_cast<float>(acc[p] / count);
    acc[p] = 0.0;
  }
  for (int64_t c = 0; c < c_count; ++c) {
    const float* row = x + c * hw;
    for (int64_t p = 0; p < len; ++p) {
      const float d = row[p] - mean[p];
      acc[p] += static_cast<double>(d * d);
    }
  }
  for (int64_t p = 0; p < len; ++p) den[p] = std::sqrt(static_cast<float>(acc[p] / count) + eps);
  for (int64_t c = 0; c < c_count; ++c) {
    const float* row = x + c * hw;
    float* out = y + c * hw;
    const float wc = w[c], bc = b[c];
    for (int64_t p = 0; p < len; ++p) out[p] = wc * ((row[p] - mean[p]) / den[p]) + bc;
  }
}

class FastLayerNorm2d final : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    SAMQ_RETURN_IF_ERROR(CheckInputs(ctx));
    const Tensor& x = ctx.input(0);
    const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
    const float eps = ctx.node().attr_float("epsilon", 1e-6f);
    Tensor& y = ctx.output_for_overwrite(0);
    if (y.numel() == 0) return Status::Ok();
    const int64_t blocks = (hw + kBlock - 1) / kBlock;
    const float *xs = x.data<float>(), *w = ctx.input(1).data<float>(), *b = ctx.input(2).data<float>();
    float* ys = y.data<float>();
    parallel_for(n * blocks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t job = begin; job < end; ++job) {
        const int64_t i = job / blocks, p0 = (job % blocks) * kBlock;
        const int64_t off = i * c * hw + p0;
        NormalizeBlock(xs + off, c, hw, std::min(kBlock, hw - p0), w, b, eps, ys + off);
      }
    });
    return Status::Ok();
  }
};

// The oracle: per pixel, double sums (as ref.ReduceMean), then the chain's float operations.
Status RefLayerNorm2d(rt::KernelContext& ctx) {
  SAMQ_RETURN_IF_ERROR(CheckInputs(ctx));
  const Tensor& x = ctx.input(0);
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  const float eps = ctx.node().attr_float("epsilon", 1e-6f);
  const float *xs = x.data<float>(), *w = ctx.input(1).data<float>(), *b = ctx.input(2).data<float>();
  Tensor& y = ctx.output(0);
  float* ys = y.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < hw; ++p) {
      const float* px = xs + i * c * hw + p;
      double s = 0;
      for (int64_t k = 0; k < c; ++k) s += px[k * hw];
      const float mean = static_cast<float>(s / static_cast<double>(c));
      double ss = 0;
      for (int64_t k = 0; k < c; ++k) {
        const float d = px[k * hw] - mean;
        ss += static_cast<double>(d * d);
      }
      const float den = std::sqrt(static_cast<float>(ss / static_cast<double>(c)) + eps);
      for (int64_t k = 0; k < c; ++k) ys[i * c * hw + k * hw + p] = w[k] * ((px[k * hw] - mean) / den) + b[k];
    }
  return Status::Ok();
}

}  // namespace

void AddLayerNorm2dOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "LayerNorm2d";
  s.domain = "com.samq";
  s.min_inputs = s.max_inputs = 3;
  s.infer = InferLayerNorm2d;
  s.kernels.push_back({"fast.LayerNorm2d", [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
    if (info.input_types[0].dtype != DType::kFloat32) {
      *why = "input is not float32";
      return nullptr;
    }
    return std::make_unique<FastLayerNorm2d>();
  }});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.LayerNorm2d", RefLayerNorm2d));
  r.Register(std::move(s));
}

}  // namespace samq::backends::cpu
