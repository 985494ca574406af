// fast.DepthwiseConv: float32 NCHW depthwise Conv (group = input channels = output channels,
// square K x K kernel with K in {3, 5, 7}, equal strides 1 or 2, no dilation, any explicit or
// auto pads), computed directly on the graph's plain NCHW layout.
//
// Why not oneDNN: its fast depthwise kernel (brdgmm_dw) wants channels-last, so onednn.conv_f32
// reorders the activation NCHW -> NHWC and back around every depthwise conv. On MobileSAM
// (TinyViT's MBConv at 256 channels x 256 x 256, and the local convs) those two reorders cost
// more than the convolution itself. A depthwise conv needs no reordering at all: each channel is
// an independent 2-D stencil, so one plane at a time fits in L2 and each output row is a short,
// vectorizable loop over K input rows.
//
// Per plane: rows outside the input (vertical padding) point at a shared row of zeros, so the
// interior columns (every tap inside the row) run one branch-free loop of K*K fused
// multiply-adds with compile-time K; only the few padded edge columns take the checked loop.
// Weights and bias are read at run time (nothing is prepacked), so they need not be constant.
// Shapes it was not built for run on the reference kernel.
#include <algorithm>
#include <vector>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/reference/conv_geometry.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

// One output plane. `zeros` holds at least W zeros and stands in for rows above/below the input.
template <int K, int S>
__attribute__((always_inline)) inline void DepthwisePlane(const float* in, int64_t H, int64_t W,
                                                          const float* wk, float bias,
                                                          int64_t pad_top, int64_t pad_left,
                                                          const float* zeros, float* out,
                                                          int64_t OH, int64_t OW) {
  float w[K * K];
  for (int i = 0; i < K * K; ++i) w[i] = wk[i];
  // Interior columns: the whole window row lies inside [0, W).
  int64_t ow_lo = std::min<int64_t>(OW, (pad_left + S - 1) / S);
  int64_t ow_hi = W - K + pad_left >= 0 ? std::min<int64_t>(OW, (W - K + pad_left) / S + 1) : 0;
  if (ow_hi < ow_lo) ow_hi = ow_lo;
  for (int64_t oh = 0; oh < OH; ++oh) {
    const float* rows[K];
    for (int ki = 0; ki < K; ++ki) {
      const int64_t ih = oh * S - pad_top + ki;
      rows[ki] = (ih >= 0 && ih < H) ? in + ih * W : zeros;
    }
    float* o = out + oh * OW;
    // Shift every row pointer to the window's first column so the loop indexes ow * S + kj.
    const float* r[K];
    for (int ki = 0; ki < K; ++ki) r[ki] = rows[ki] - pad_left;
#pragma GCC ivdep
    for (int64_t ow = ow_lo; ow < ow_hi; ++ow) {
      float acc = bias;
      for (int ki = 0; ki < K; ++ki)
        for (int kj = 0; kj < K; ++kj) acc += w[ki * K + kj] * r[ki][ow * S + kj];
      o[ow] = acc;
    }
    // Edge columns: some taps fall into the horizontal padding.
    auto edge = [&](int64_t ow) {
      float acc = bias;
      for (int ki = 0; ki < K; ++ki)
        for (int kj = 0; kj < K; ++kj) {
          const int64_t iw = ow * S - pad_left + kj;
          if (iw >= 0 && iw < W) acc += w[ki * K + kj] * rows[ki][iw];
        }
      o[ow] = acc;
    };
    for (int64_t ow = 0; ow < ow_lo; ++ow) edge(ow);
    for (int64_t ow = ow_hi; ow < OW; ++ow) edge(ow);
  }
}

// One non-template entry per (K, S), so target_clones can compile each for AVX-512 and baseline.
#define SAMQ_DW_PLANE(K, S)                                                                     \
  SAMQ_CLONES void DepthwisePlane##K##x##S(const float* in, int64_t H, int64_t W,              \
                                           const float* wk, float bias, int64_t pt, int64_t pl, \
                                           const float* zeros, float* out, int64_t OH,          \
                                           int64_t OW) {                                        \
    DepthwisePlane<K, S>(in, H, W, wk, bias, pt, pl, zeros, out, OH, OW);                       \
  }
SAMQ_DW_PLANE(3, 1)
SAMQ_DW_PLANE(3, 2)
SAMQ_DW_PLANE(5, 1)
SAMQ_DW_PLANE(5, 2)
SAMQ_DW_PLANE(7, 1)
SAMQ_DW_PLANE(7, 2)
#undef SAMQ_DW_PLANE

}  // namespace

DepthwisePlaneFn PickDepthwisePlane(int64_t k, int64_t s) {
  if (k == 3) return s == 1 ? DepthwisePlane3x1 : DepthwisePlane3x2;
  if (k == 5) return s == 1 ? DepthwisePlane5x1 : DepthwisePlane5x2;
  if (k == 7) return s == 1 ? DepthwisePlane7x1 : DepthwisePlane7x2;
  return nullptr;
}

namespace {

class DepthwiseConv2d final : public rt::Kernel {
 public:
  // `gelu`: com.samq ConvGelu; each plane gets the GELU right after it is computed (in L2).
  DepthwiseConv2d(DepthwisePlaneFn plane, int64_t k, int64_t channels, bool gelu,
                  std::unique_ptr<rt::Kernel> fallback, PlanePrologue prologue = {})
      : plane_(plane), k_(k), channels_(channels), gelu_(gelu), fallback_(std::move(fallback)),
        prologue_(std::move(prologue)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    // The shapes the factory checked could differ at run time only for dynamic inputs.
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.dim(1) != channels_ ||
        w.dtype() != DType::kFloat32 || w.rank() != 4 || w.dim(0) != channels_ || w.dim(1) != 1 ||
        w.dim(2) != k_ || w.dim(3) != k_)
      return Fallback(ctx);
    auto problem = MakeConvProblem(ctx.node(), x.shape(), w.shape(), false);
    if (!problem.ok()) return Fallback(ctx);  // the reference kernel reports the error
    const int64_t pad_top = problem->window.pad_begin[0], pad_left = problem->window.pad_begin[1];
    const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (b && b->dtype() != DType::kFloat32) return Fallback(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    const int64_t C = channels_, H = x.dim(2), W = x.dim(3), OH = y.dim(2), OW = y.dim(3);
    const int64_t planes = x.dim(0) * C, K = w.dim(2);
    if (planes == 0 || OH * OW == 0) return Status::Ok();
    const std::vector<float> zeros(static_cast<size_t>(W), 0.0f);
    const float* px = x.data<float>();
    const float* pw = w.data<float>();
    const float* pb = b ? b->data<float>() : nullptr;
    float* py = y.data<float>();
    parallel_for(planes, 1, [&](int64_t lo, int64_t hi) {
      std::vector<float> plane_in(prologue_ ? static_cast<size_t>(H * W) : 0);
      for (int64_t p = lo; p < hi; ++p) {
        const int64_t c = p % C;
        const float* in = px + p * H * W;
        if (prologue_) {
          prologue_(in, H * W, plane_in.data());
          in = plane_in.data();
        }
        plane_(in, H, W, pw + c * K * K, pb ? pb[c] : 0.0f, pad_top, pad_left,
               zeros.data(), py + p * OH * OW, OH, OW);
        if (gelu_) GeluInPlace(py + p * OH * OW, OH * OW, GeluIsTanh(ctx.node()));
      }
    });
    return Status::Ok();
  }

 private:
  // The reference kernel knows nothing of the prologue, so with one a shape this kernel cannot
  // take is an error (the int8 caller checks the shapes first; this is a safety net).
  Status Fallback(rt::KernelContext& ctx) {
    if (prologue_)
      return Status::InternalF("{}: input {} does not fit the depthwise kernel with an input prologue",
                               ctx.node().describe(), shape_str(ctx.input(0).shape()));
    return fallback_->Run(ctx);
  }

  DepthwisePlaneFn plane_;  // compiled for kernel size k_
  int64_t k_, channels_;
  bool gelu_;
  std::unique_ptr<rt::Kernel> fallback_;
  PlanePrologue prologue_;
};

std::unique_ptr<rt::Kernel> MakeDepthwiseConv(const rt::KernelBuildInfo& info, std::string* why,
                                              bool gelu, PlanePrologue prologue = {}) {
  const ir::Node& n = info.node;
  auto decline = [&](const char* reason) -> std::unique_ptr<rt::Kernel> {
    *why = reason;
    return nullptr;
  };
  const auto& x = info.input_types[0];
  const auto& w = info.input_types[1];
  if (x.dtype != DType::kFloat32 || w.dtype != DType::kFloat32) return decline("not float32");
  if (info.input_types.size() > 2 && n.has_input(2) && info.input_types[2].dtype != DType::kFloat32)
    return decline("bias is not float32");
  if (!x.rank_known || x.rank() != 4) return decline("not a 4-D (NCHW) input");
  if (!w.fully_known() || w.rank() != 4) return decline("weight shape unknown at compile time");
  const int64_t group = n.attr_int("group", 1);
  const int64_t c = w.dims[0];
  if (group <= 1 || group != c || w.dims[1] != 1) return decline("not depthwise (group = C = M)");
  if (x.dims[1] >= 0 && x.dims[1] != c) return decline("input channels differ from group");
  if (w.dims[2] != w.dims[3]) return decline("kernel is not square");
  auto attrs = ReadWindowAttrs(n, 2, {w.dims[2], w.dims[3]});
  if (!attrs.ok()) return decline("invalid window attributes");
  for (int64_t d : attrs->dilations)
    if (d != 1) return decline("dilation");
  if (attrs->strides[0] != attrs->strides[1] || attrs->strides[0] > 2)
    return decline("strides other than 1x1 or 2x2");
  DepthwisePlaneFn plane = PickDepthwisePlane(w.dims[2], attrs->strides[0]);
  if (!plane) return decline("kernel size other than 3, 5 or 7");
  std::string fallback_why;
  auto fallback = (gelu ? RefConvGeluCandidate() : RefConvCandidate()).make(info, &fallback_why);
  if (!fallback) {
    *why = "no reference fallback: " + fallback_why;
    return nullptr;
  }
  return std::make_unique<DepthwiseConv2d>(plane, w.dims[2], c, gelu, std::move(fallback), std::move(prologue));
}

}  // namespace

void AddFastDepthwiseConvKernel(rt::OpRegistry& r) {
  r.AddFastKernel("", "Conv", {"fast.DepthwiseConv", [](const rt::KernelBuildInfo& info, std::string* why) {
                                 return MakeDepthwiseConv(info, why, false);
                               }});
}

rt::KernelCandidate FastDepthwiseConvGeluCandidate() {
  return {"fast.DepthwiseConvGelu", [](const rt::KernelBuildInfo& info, std::string* why) {
            return MakeDepthwiseConv(info, why, true);
          }};
}

std::unique_ptr<rt::Kernel> MakeDepthwiseConvWithPrologue(const rt::KernelBuildInfo& info, std::string* why,
                                                          bool gelu, PlanePrologue prologue) {
  return MakeDepthwiseConv(info, why, gelu, std::move(prologue));
}

}  // namespace samq::backends::fast
