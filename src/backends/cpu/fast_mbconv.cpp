// fast.MBConv (com.samq MBConv, see mbconv.h): the block computed in bands of output rows.
//
// The band walk (mbconv_bands.h) expands only the rows a step has not got yet, with one sgemm
// W1 [E x C] . X[:, rows] reading X in place (the rows of one channel are contiguous; channels
// are H*W apart), then bias + GELU per expanded channel. A step's output rows: per expanded
// channel the depthwise stencil (the shared plane kernel of fast.DepthwiseConv, on the buffer as
// if it were the plane) and GELU; one more sgemm W3 [M x E] . D writes the rows straight into Y,
// and bias, residual and the last GELU are applied to them while they are in cache.
//
// sgemm runs single-threaded inside the parallel region (oneDNN does so when called from one).
// Measured on MobileSAM's first stage: see BENCHMARKS.md.
#include <dnnl.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/mbconv.h"
#include "backends/cpu/mbconv_bands.h"
#include "backends/reference/conv_geometry.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

constexpr int kX = 0, kW1 = 1, kB1 = 2, kWd = 3, kBd = 4, kW3 = 5, kB3 = 6, kR = 7;
// Per-thread working set aimed at: the expanded rows plus the depthwise output of one step (3
// output rows on MobileSAM's first stage; 1 to 5 rows measured within 10 % of each other).
constexpr int64_t kStepBytes = 2 << 20;

// Row-major C[m x n] = A[m x k] . B[k x n] (lda, ldb, ldc in elements), single GEMM.
Status Sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
             int64_t ldc) {
  const dnnl_status_t st = dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  if (st != dnnl_success) return Status::InternalF("oneDNN sgemm failed (status {}) on {}x{}x{}", static_cast<int>(st), m, n, k);
  return Status::Ok();
}

SAMQ_CLONES void AddScalar(float* p, int64_t n, float v) {
  for (int64_t i = 0; i < n; ++i) p[i] += v;
}

SAMQ_CLONES void AddScalarAndRow(float* p, const float* r, int64_t n, float v) {
  for (int64_t i = 0; i < n; ++i) p[i] += v + r[i];
}

class FastMBConv final : public rt::Kernel {
 public:
  FastMBConv(DepthwisePlaneFn plane, std::unique_ptr<rt::Kernel> fallback)
      : plane_(plane), fallback_(std::move(fallback)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(kX);
    SAMQ_ASSIGN_OR_RETURN(MBConvDims d, GetMBConvDims(ctx.node(), x.shape(), ctx.input(kW1).shape(),
                                                       ctx.input(kWd).shape(), ctx.input(kW3).shape()));
    const bool has_r = ctx.num_inputs() > kR && ctx.has_input(kR);
    // What this kernel was not built for (a run-time shape the factory could not see) runs on the
    // reference kernel, which also reports operand errors.
    if (x.dtype() != DType::kFloat32 || (has_r && ctx.input(kR).shape() != Shape{d.n, d.m, d.oh, d.ow}) ||
        ctx.input(kB1).numel() != d.e || ctx.input(kBd).numel() != d.e || ctx.input(kB3).numel() != d.m ||
        PickDepthwisePlane(d.k, d.stride) != plane_ || d.oh <= 0 || d.ow <= 0)
      return fallback_->Run(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    if (d.n == 0) return Status::Ok();
    const bool tanh_form = ctx.node().attr_string("approximate", "none") == "tanh";
    const bool out_gelu = ctx.node().attr_string("activation", "none") == "gelu";
    const float* px = x.data<float>();
    const float* w1 = ctx.input(kW1).data<float>();
    const float* b1 = ctx.input(kB1).data<float>();
    const float* wd = ctx.input(kWd).data<float>();
    const float* bd = ctx.input(kBd).data<float>();
    const float* w3 = ctx.input(kW3).data<float>();
    const float* b3 = ctx.input(kB3).data<float>();
    const float* pr = has_r ? ctx.input(kR).data<float>() : nullptr;
    float* py = y.data<float>();

    const int64_t hw = d.h * d.w, ohw = d.oh * d.ow, k = d.k;
    const int64_t step = MBConvStepRows(d, d.e * (d.w * d.stride + d.ow) * 4, kStepBytes);
    const int64_t cap = MBConvStepCap(d, step);
    const std::vector<float> zeros(static_cast<size_t>(d.w), 0.0f);
    struct Scratch {
      std::vector<float> dw;
    };
    auto expand = [&](Scratch&, int64_t n, int64_t row, int64_t rows, float* dst) -> Status {
      SAMQ_RETURN_IF_ERROR(Sgemm(d.e, rows * d.w, d.c, w1, d.c, px + n * d.c * hw + row * d.w, hw, dst, cap * d.w));
      for (int64_t e = 0; e < d.e; ++e) {
        float* p = dst + e * cap * d.w;
        AddScalar(p, rows * d.w, b1[e]);
        GeluInPlace(p, rows * d.w, tanh_form);
      }
      return Status::Ok();
    };
    auto finish = [&](Scratch& sc, int64_t n, int64_t o0, int64_t rows, const float* ex, int64_t buf_rows,
                      int64_t pad_rows) -> Status {
      sc.dw.resize(static_cast<size_t>(d.e * step * d.ow));
      for (int64_t e = 0; e < d.e; ++e) {
        float* out = sc.dw.data() + e * rows * d.ow;
        plane_(ex + e * cap * d.w, buf_rows, d.w, wd + e * k * k, bd[e], pad_rows, d.pad_left, zeros.data(), out,
               rows, d.ow);
        GeluInPlace(out, rows * d.ow, tanh_form);
      }
      float* yrows = py + n * d.m * ohw + o0 * d.ow;
      SAMQ_RETURN_IF_ERROR(Sgemm(d.m, rows * d.ow, d.e, w3, d.e, sc.dw.data(), rows * d.ow, yrows, ohw));
      for (int64_t m = 0; m < d.m; ++m) {
        float* p = yrows + m * ohw;
        if (pr) AddScalarAndRow(p, pr + n * d.m * ohw + m * ohw + o0 * d.ow, rows * d.ow, b3[m]);
        else AddScalar(p, rows * d.ow, b3[m]);
        if (out_gelu) GeluInPlace(p, rows * d.ow, tanh_form);
      }
      return Status::Ok();
    };
    return ForEachMBConvStep<Scratch>(d, step, expand, finish);
  }

 private:
  DepthwisePlaneFn plane_;
  std::unique_ptr<rt::Kernel> fallback_;
};

}  // namespace

std::unique_ptr<rt::Kernel> MakeFastMBConv(const rt::KernelBuildInfo& info, std::string* why) {
  for (size_t i = 0; i < info.input_types.size(); ++i)
    if (info.node.has_input(static_cast<int>(i)) && info.input_types[i].dtype != DType::kFloat32) {
      *why = "only float32";
      return nullptr;
    }
  const auto& wd = info.input_types[kWd];
  if (!wd.fully_known() || wd.rank() != 4) {
    *why = "depthwise weight shape unknown at compile time";
    return nullptr;
  }
  auto attrs = ReadWindowAttrs(info.node, 2, {wd.dims[2], wd.dims[3]});
  if (!attrs.ok() || attrs->strides[0] != attrs->strides[1]) {
    *why = "invalid or unequal strides";
    return nullptr;
  }
  DepthwisePlaneFn plane = PickDepthwisePlane(wd.dims[2], attrs->strides[0]);
  if (!plane || wd.dims[2] != wd.dims[3]) {
    *why = "depthwise kernel other than 3x3, 5x5, 7x7 with stride 1 or 2";
    return nullptr;
  }
  std::string fallback_why;
  auto fallback = RefMBConvCandidate().make(info, &fallback_why);
  if (!fallback) {
    *why = "no reference fallback: " + fallback_why;
    return nullptr;
  }
  return std::make_unique<FastMBConv>(plane, std::move(fallback));
}

}  // namespace samq::backends::fast
