// fast.MBConv (com.samq MBConv, see mbconv.h): the block computed in bands of output rows.
//
// Each task owns a contiguous band of output rows of one image and walks down it `step` rows at
// a time. For a step it needs the expanded rows its depthwise windows cover; those it already
// had from the previous step (the window overlap: K - S rows) move to the front of a small row
// buffer and only the new rows are expanded, with one sgemm W1 [E x C] . X[:, rows] reading X in
// place (the rows of one channel are contiguous; channels are H*W apart). Then, per expanded
// channel: bias + GELU of the new rows, the depthwise stencil of the step's output rows (the
// shared plane kernel of fast.DepthwiseConv, on the buffer as if it were the plane), GELU. One
// more sgemm W3 [M x E] . D writes the step's output rows straight into Y, and bias, residual
// and the last GELU are applied to them while they are in cache. The band's first step also
// expands the rows above the band (computed twice at band borders: 1-2 rows per band).
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

    const int64_t hw = d.h * d.w, ohw = d.oh * d.ow, s = d.stride, k = d.k;
    // Output rows per step: as many as keep the step's buffers near kStepBytes.
    const int64_t row_bytes = d.e * (d.w * s + d.ow) * 4;
    const int64_t step = std::clamp<int64_t>(kStepBytes / std::max<int64_t>(row_bytes, 1) - 1, 1, d.oh);
    const int64_t cap = (step - 1) * s + k;  // expanded rows one step can need
    // Bands: enough for every thread, at least 2*step rows each so the recomputed rows stay few.
    const int64_t threads = num_threads();
    const int64_t bands = std::clamp<int64_t>((threads + d.n - 1) / d.n, 1, std::max<int64_t>(1, d.oh / (2 * step)));
    const std::vector<float> zeros(static_cast<size_t>(d.w), 0.0f);

    std::vector<Status> errors(static_cast<size_t>(d.n * bands), Status::Ok());
    parallel_for(d.n * bands, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> ex(static_cast<size_t>(d.e * cap * d.w)), dw(static_cast<size_t>(d.e * step * d.ow));
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t n = t / bands, band = t % bands;
        const int64_t o_begin = d.oh * band / bands, o_end = d.oh * (band + 1) / bands;
        const float* xn = px + n * d.c * hw;
        float* yn = py + n * d.m * ohw;
        int64_t buf_lo = 0, buf_rows = 0;  // ex holds expanded input rows [buf_lo, buf_lo + buf_rows)
        for (int64_t o0 = o_begin; o0 < o_end; o0 += step) {
          const int64_t rows = std::min(step, o_end - o0);
          const int64_t first = o0 * s - d.pad_top;  // input row under the first window's top tap
          const int64_t lo = std::max<int64_t>(0, first);
          const int64_t hi = std::min<int64_t>(d.h, (o0 + rows - 1) * s - d.pad_top + k);  // exclusive
          // Keep the rows this step shares with the last one, at the front of each channel.
          int64_t kept = 0;
          if (buf_rows > 0 && lo >= buf_lo && lo < buf_lo + buf_rows) {
            kept = std::min(buf_lo + buf_rows, hi) - lo;
            if (lo > buf_lo)
              for (int64_t e = 0; e < d.e; ++e) {
                float* ch = ex.data() + e * cap * d.w;
                std::memmove(ch, ch + (lo - buf_lo) * d.w, static_cast<size_t>(kept * d.w) * 4);
              }
          }
          const int64_t fresh = hi - lo - kept;
          if (fresh > 0) {
            float* dst = ex.data() + kept * d.w;
            Status st = Sgemm(d.e, fresh * d.w, d.c, w1, d.c, xn + (lo + kept) * d.w, hw, dst, cap * d.w);
            if (!st.ok()) {
              errors[t] = st;
              return;
            }
            for (int64_t e = 0; e < d.e; ++e) {
              float* p = dst + e * cap * d.w;
              AddScalar(p, fresh * d.w, b1[e]);
              GeluInPlace(p, fresh * d.w, tanh_form);
            }
          }
          buf_lo = lo;
          buf_rows = hi - lo;
          // Depthwise on the buffer as a plane of buf_rows rows; output row o0 + i reads buffer
          // row i * s + ki - pad, with pad = lo - first (rows outside the buffer are zero).
          for (int64_t e = 0; e < d.e; ++e) {
            float* out = dw.data() + e * rows * d.ow;
            plane_(ex.data() + e * cap * d.w, buf_rows, d.w, wd + e * k * k, bd[e], lo - first, d.pad_left,
                   zeros.data(), out, rows, d.ow);
            GeluInPlace(out, rows * d.ow, tanh_form);
          }
          float* yrows = yn + o0 * d.ow;
          Status st = Sgemm(d.m, rows * d.ow, d.e, w3, d.e, dw.data(), rows * d.ow, yrows, ohw);
          if (!st.ok()) {
            errors[t] = st;
            return;
          }
          for (int64_t m = 0; m < d.m; ++m) {
            float* p = yrows + m * ohw;
            if (pr) AddScalarAndRow(p, pr + n * d.m * ohw + m * ohw + o0 * d.ow, rows * d.ow, b3[m]);
            else AddScalar(p, rows * d.ow, b3[m]);
            if (out_gelu) GeluInPlace(p, rows * d.ow, tanh_form);
          }
        }
      }
    });
    for (const auto& st : errors)
      if (!st.ok()) return st;
    return Status::Ok();
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
