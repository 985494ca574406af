#include "backends/cpu/deconv_gemm.h"

#include <unordered_map>
#include <vector>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/conv_geometry.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;

struct GemmEntry {
  dnnl::matmul prim;
  memory::desc a_md, b_md, p_md;  // packed weights [M, K], X [K, N], P [M, N]
  std::vector<float> p;           // P, kept between runs (no allocation or page faults per run)
};

// One output row pair per (channel, input row): out[x * kw + dx] = p[dx][x] + bias.
SAMQ_CLONES void ScatterRow(const float* p, int64_t p_stride, int64_t kw, int64_t w, float bias, float* out) {
  if (kw == 2) {
    const float* p0 = p;
    const float* p1 = p + p_stride;
    for (int64_t x = 0; x < w; ++x) {
      out[2 * x] = p0[x] + bias;
      out[2 * x + 1] = p1[x] + bias;
    }
    return;
  }
  for (int64_t dx = 0; dx < kw; ++dx)
    for (int64_t x = 0; x < w; ++x) out[x * kw + dx] = p[dx * p_stride + x] + bias;
}

class DeconvGemmKernel final : public rt::Kernel {
 public:
  DeconvGemmKernel(Tensor w, Tensor bias, std::unique_ptr<rt::Kernel> fallback, bool gelu)
      : w_(std::move(w)), bias_(std::move(bias)), fallback_(std::move(fallback)), gelu_(gelu) {
    // A = W as [M = co * kh * kw, K = ci]: the ONNX layout [ci, co, kh, kw] transposed, once.
    const int64_t ci = w_.dim(0), m = w_.dim(1) * w_.dim(2) * w_.dim(3);
    a_.resize(static_cast<size_t>(m * ci));
    const float* src = w_.data<float>();
    for (int64_t k = 0; k < ci; ++k)
      for (int64_t i = 0; i < m; ++i) a_[i * ci + k] = src[k * m + i];
  }

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    // The packed weights are only valid for the tensor they came from (a feed may override it).
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.numel() == 0 || x.dim(1) != w_.dim(0) ||
        ctx.input(1).raw() != w_.raw())
      return fallback_->Run(ctx);
    const int64_t n = x.dim(0), ci = x.dim(1), h = x.dim(2), w = x.dim(3);
    const int64_t co = w_.dim(1), kh = w_.dim(2), kw = w_.dim(3);
    Tensor& y = ctx.output_for_overwrite(0);
    if (y.shape() != Shape{n, co, h * kh, w * kw}) {
      ctx.discard_output(0);  // the reference may rely on a zero-filled output
      return fallback_->Run(ctx);
    }
    std::lock_guard<std::mutex> lock(cache_.mu);
    GemmEntry* e = cache_.Find(x.shape());
    if (!e) e = cache_.Insert(x.shape(), Create(co * kh * kw, ci, h * w));
    if (!e) {
      ctx.discard_output(0);  // the reference may rely on a zero-filled output
      return fallback_->Run(ctx);
    }
    dnnl::stream& s = ThreadStream();
    const int64_t pixels = h * w, oh = h * kh, ow = w * kw;
    const float* bias = bias_.defined() ? bias_.data<float>() : nullptr;
    const bool tanh = GeluIsTanh(ctx.node());
    for (int64_t b = 0; b < n; ++b) {
      const float* xb = x.data<float>() + b * ci * pixels;
      memory a(e->a_md, Engine(), a_.data());
      memory bm(e->b_md, Engine(), const_cast<float*>(xb));
      memory p(e->p_md, Engine(), e->p.data());
      e->prim.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, p}});
      s.wait();
      float* yb = y.data<float>() + b * co * oh * ow;
      const float* pp = e->p.data();
      // Row job (channel c, input row r, tap row dy) writes output row r * kh + dy of channel c.
      parallel_for(co * h * kh, std::max<int64_t>(1, 4096 / std::max<int64_t>(ow, 1)), [&](int64_t begin, int64_t end) {
        for (int64_t job = begin; job < end; ++job) {
          const int64_t c = job / (h * kh), rest = job % (h * kh), r = rest / kh, dy = rest % kh;
          const float* src = pp + ((c * kh + dy) * kw) * pixels + r * w;
          float* out = yb + (c * oh + r * kh + dy) * ow;
          ScatterRow(src, pixels, kw, w, bias ? bias[c] : 0.0f, out);
          if (gelu_) GeluInPlace(out, ow, tanh);  // the row is still in L1
        }
      });
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<GemmEntry> Create(int64_t m, int64_t k, int64_t n) {
    auto e = std::make_unique<GemmEntry>();
    e->a_md = DenseDesc({m, k});
    e->b_md = DenseDesc({k, n});
    e->p_md = DenseDesc({m, n});
    try {
      e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(e->a_md, e->b_md, e->p_md), Engine()));
    } catch (const dnnl::error&) {
      return nullptr;
    }
    e->p.resize(static_cast<size_t>(m * n));
    return e;
  }

  Tensor w_, bias_;
  std::vector<float> a_;
  std::unique_ptr<rt::Kernel> fallback_;
  bool gelu_;
  ShapeCache<GemmEntry> cache_;
};

std::unique_ptr<rt::Kernel> MakeDeconvGemm(const rt::KernelBuildInfo& info, std::string* why, bool gelu) {
  const ir::Node& node = info.node;
  if (info.input_types[0].dtype != DType::kFloat32) return Decline(why, DtypeReason(info.input_types[0].dtype));
  const Tensor* wt = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  if (!wt || wt->dtype() != DType::kFloat32 || wt->rank() != 4) return Decline(why, "weights are not constant 4-D float32");
  Tensor bias;
  if (node.has_input(2)) {
    const Tensor* b = info.const_inputs.size() > 2 ? info.const_inputs[2] : nullptr;
    if (!b || b->dtype() != DType::kFloat32 || b->numel() != wt->dim(1)) return Decline(why, "bias is not constant float32");
    bias = *b;
  }
  if (node.attr_int("group", 1) != 1) return Decline(why, "grouped");
  if (!node.attr_ints("output_shape").empty()) return Decline(why, "output_shape given");
  for (int64_t v : node.attr_ints("output_padding"))
    if (v != 0) return Decline(why, "output_padding");
  auto a = ReadWindowAttrs(node, 2, {wt->dim(2), wt->dim(3)});
  if (!a.ok()) return Decline(why, a.status().message());
  if (a->auto_pad != AutoPad::kNotSet && a->auto_pad != AutoPad::kValid) return Decline(why, "auto_pad SAME");
  for (int i = 0; i < 2; ++i) {
    if (a->kernel[i] != a->strides[i]) return Decline(why, "kernel differs from stride (overlapping windows)");
    if (a->dilations[i] != 1) return Decline(why, "dilated");
  }
  for (int64_t p : a->pads)
    if (p != 0) return Decline(why, "padded");
  std::string fallback_why;
  auto fallback = (gelu ? RefConvTransposeGeluCandidate() : RefConvTransposeCandidate()).make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  return std::make_unique<DeconvGemmKernel>(*wt, bias, std::move(fallback), gelu);
}

}  // namespace

void AddDeconvGemmKernel(rt::OpRegistry& r) {
  r.AddFastKernel("", "ConvTranspose", {"onednn.deconv_gemm_f32", [](const rt::KernelBuildInfo& info, std::string* why) {
                    return MakeDeconvGemm(info, why, false);
                  }});
}

rt::KernelCandidate DeconvGemmGeluCandidate() {
  return {"onednn.deconv_gemm_gelu_f32",
          [](const rt::KernelBuildInfo& info, std::string* why) { return MakeDeconvGemm(info, why, true); }};
}

}  // namespace samq::backends::onednn
