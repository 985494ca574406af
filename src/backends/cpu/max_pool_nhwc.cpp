// com.samq MaxPoolNhwc(x), attributes kernel_shape [kh, kw] and strides [sh, sw] (default 1):
// 2-D max pooling of a channels-last float32 x [N, H, W, C] without padding, dilation or ceil
// mode, y [N, (H - kh) / sh + 1, (W - kw) / sw + 1, C]:
//   y[n, i, j, c] = max over (a, b) in kh x kw of x[n, i * sh + a, j * sw + b, c].
// It replaces Transpose(NHWC -> NCHW) -> MaxPool -> Transpose(NCHW -> NHWC), which Hiera
// exports around each q-pool (passes/fuse_channels_last_pool.h): in this layout every window
// element is a contiguous run of C channels, so the max is a vector max over C and no transposed
// copy is written. Both kernels take the window elements in the same (a, b) order with
// std::max(acc, next), so they agree bit for bit (NaNs included).
#include "backends/cpu/max_pool_nhwc.h"

#include <algorithm>

#include "backends/cpu/fast_kernels.h"
#include "core/parallel.h"

namespace samq::backends::cpu {
namespace {

struct PoolGeometry {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1;
};

Result<PoolGeometry> ReadGeometry(const ir::Node& n) {
  PoolGeometry g;
  const auto k = n.attr_ints("kernel_shape");
  auto s = n.attr_ints("strides");
  if (s.empty()) s = {1, 1};
  if (k.size() != 2 || s.size() != 2 || k[0] < 1 || k[1] < 1 || s[0] < 1 || s[1] < 1)
    return Status::User(n.describe() + ": kernel_shape and strides must be two positive ints each");
  g.kh = k[0];
  g.kw = k[1];
  g.sh = s[0];
  g.sw = s[1];
  return g;
}

Status InferMaxPoolNhwc(rt::InferContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(PoolGeometry g, ReadGeometry(ctx.node()));
  const auto& t = ctx.input_type(0);
  if (t.dtype != DType::kUndefined && t.dtype != DType::kFloat32)
    return ctx.Error("x has type {}; supported: float32", dtype_name(t.dtype));
  if (!t.rank_known) {
    ctx.set_output_unknown_rank(0, DType::kFloat32);
    return Status::Ok();
  }
  if (t.rank() != 4) return ctx.Error("x must be 4-D [N, H, W, C], got rank {}", t.rank());
  Shape out = t.dims;
  const int64_t k[2] = {g.kh, g.kw}, s[2] = {g.sh, g.sw};
  for (int i = 0; i < 2; ++i) {
    const int64_t d = t.dims[1 + i];
    if (d < 0) continue;
    if (d < k[i]) return ctx.Error("x {} is smaller than the window {}x{}", shape_str(t.dims), g.kh, g.kw);
    out[1 + i] = (d - k[i]) / s[i] + 1;
  }
  ctx.set_output(0, DType::kFloat32, out);
  return Status::Ok();
}

// One output row y[n, i, :, :] from its kh input rows.
SAMQ_CLONES void PoolRow(const float* x, int64_t w, int64_t c, const PoolGeometry& g, int64_t ow, float* y) {
  for (int64_t j = 0; j < ow; ++j) {
    float* out = y + j * c;
    const float* first = x + j * g.sw * c;
    std::copy(first, first + c, out);
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t b = 0; b < g.kw; ++b) {
        if (a == 0 && b == 0) continue;
        const float* in = x + (a * w + j * g.sw + b) * c;
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = std::max(out[ch], in[ch]);
      }
  }
}

class FastMaxPoolNhwc final : public rt::Kernel {
 public:
  explicit FastMaxPoolNhwc(PoolGeometry g) : g_(g) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output_for_overwrite(0);
    const int64_t h = x.dim(1), w = x.dim(2), c = x.dim(3), oh = y.dim(1), ow = y.dim(2);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    // One job per output row: each reads kh contiguous input rows of w * c floats.
    parallel_for(y.dim(0) * oh, 4, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t n = r / oh, i = r % oh;
        PoolRow(px + (n * h + i * g_.sh) * w * c, w, c, g_, ow, py + r * ow * c);
      }
    });
    return Status::Ok();
  }

 private:
  PoolGeometry g_;
};

// The oracle: the definition's loops, element by element.
Status RefMaxPoolNhwc(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(PoolGeometry g, ReadGeometry(ctx.node()));
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32 || x.rank() != 4) return ctx.Error("x must be a float32 [N, H, W, C] tensor");
  Tensor& y = ctx.output(0);
  const int64_t h = x.dim(1), w = x.dim(2), c = x.dim(3);
  const float* px = x.data<float>();
  float* py = y.data<float>();
  for (int64_t n = 0; n < y.dim(0); ++n)
    for (int64_t i = 0; i < y.dim(1); ++i)
      for (int64_t j = 0; j < y.dim(2); ++j)
        for (int64_t ch = 0; ch < c; ++ch) {
          float m = px[((n * h + i * g.sh) * w + j * g.sw) * c + ch];
          for (int64_t a = 0; a < g.kh; ++a)
            for (int64_t b = 0; b < g.kw; ++b)
              m = std::max(m, px[((n * h + i * g.sh + a) * w + j * g.sw + b) * c + ch]);
          py[((n * y.dim(1) + i) * y.dim(2) + j) * c + ch] = m;
        }
  return Status::Ok();
}

}  // namespace

void AddMaxPoolNhwcOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "MaxPoolNhwc";
  s.domain = "com.samq";
  s.min_inputs = s.max_inputs = 1;
  s.infer = InferMaxPoolNhwc;
  s.kernels.push_back({"fast.MaxPoolNhwc", [](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
    auto g = ReadGeometry(info.node);
    if (!g.ok()) {
      *why = g.status().message();
      return nullptr;
    }
    if (info.input_types[0].dtype != DType::kFloat32) {
      *why = "input is not float32";
      return nullptr;
    }
    return std::make_unique<FastMaxPoolNhwc>(*g);
  }});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.MaxPoolNhwc", RefMaxPoolNhwc));
  r.Register(std::move(s));
}

}  // namespace samq::backends::cpu
