// oneDNN integer kernel of com.samq QConv (2-D): x(float, NCHW) -> QuantizeLinear straight into
// NHWC u8/s8 (the layout oneDNN's integer convolutions run in; the quantize pass does the
// transpose for free) -> u8/s8 x s8 convolution with exact int32 accumulation, per-output-channel
// scale and bias -> float32 NHWC -> transposed to the graph's NCHW in cache-sized bands of pixels
// (with the erf GELU applied to each band while it is in cache, for com.samq QConvGelu: one pass
// over the output instead of a reorder and then a GELU pass over a tensor that can be 32 MiB, as
// TinyViT's first patch-embedding conv at 512 x 512 x 32). Weights are reordered once into
// oneDNN's layout (shapes that want the same layout share the copy); primitives are cached per
// input shape. Groups (depthwise included), strides, dilations and explicit or auto padding come
// from the same geometry code as the reference Conv.
#include <unordered_map>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/onednn_int8_util.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/conv_geometry.h"
#include "backends/reference/samq_qops.h"
#include "core/parallel.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct QConvEntry {
  bool fallback = false;
  dnnl::convolution_forward prim;
  memory::desc src, dst_nhwc;
  memory weights;
  std::string impl;
};

// Plain weights [M, C/g, kh, kw], or [g, M/g, C/g, kh, kw] for grouped convolutions.
memory::desc PlainWeights(const Shape& w, int64_t g, memory::data_type dt, bool any) {
  memory::dims d = g == 1 ? memory::dims{w[0], w[1], w[2], w[3]}
                          : memory::dims{g, w[0] / g, w[1], w[2], w[3]};
  if (any) return memory::desc(d, dt, tag::any);
  return memory::desc(d, dt, g == 1 ? tag::oihw : tag::goihw);
}

class QConvKernel final : public rt::Kernel {
 public:
  QConvKernel(std::unique_ptr<rt::Kernel> fallback, QuantParams p, bool gelu)
      : fallback_(std::move(fallback)), p_(std::move(p)), gelu_(gelu),
        zp_mem_(memory::desc({1}, memory::data_type::s32, memory::dims{1}), Engine()) {
    *static_cast<int32_t*>(zp_mem_.get_data_handle()) = p_.x_zero_point;
  }

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.numel() == 0 ||
        shape_numel(ctx.output_type(0).dims) == 0 || ctx.input(3).raw() != p_.weights.raw())
      return fallback_->Run(ctx);
    std::lock_guard<std::mutex> lock(cache_.mu);
    QConvEntry* e = cache_.Find(x.shape());
    if (!e) e = cache_.Insert(x.shape(), Create(ctx.node(), x.shape()));
    if (e->fallback) return fallback_->Run(ctx);
    const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
    src_.resize(static_cast<size_t>(x.numel()));
    QuantizeActivationToNhwc(x.data<float>(), n, c, hw, p_.x_scale, p_.x_zero_point, p_.u8, src_.data());
    Tensor& y = ctx.output_for_overwrite(0);
    dst_.resize(static_cast<size_t>(y.numel()));
    memory dst_nhwc(e->dst_nhwc, Engine(), dst_.data());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory(e->src, Engine(), src_.data())},
                                         {DNNL_ARG_WEIGHTS, e->weights},
                                         {DNNL_ARG_DST, dst_nhwc}};
    if (p_.x_zero_point != 0) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zp_mem_;
    const int64_t oc = y.dim(1);
    if (!p_.bias.empty())
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
          memory(memory::desc({1, oc, 1, 1}, memory::data_type::f32, tag::nchw), Engine(), p_.bias.data());
    dnnl::stream& s = ThreadStream();
    e->prim.execute(s, args);
    s.wait();
    ToNchw(dst_.data(), y.dim(0), y.dim(2) * y.dim(3), oc, y.data<float>());
    return Status::Ok();
  }

 private:
  // y[n][c][p] = nhwc[n][p][c] (then GELU when gelu_), in bands of kBand pixels: a band's
  // kBand x C floats (64 KB at C = 64) are read, written and activated while in L2.
  void ToNchw(const float* nhwc, int64_t n, int64_t hw, int64_t c, float* y) const {
    constexpr int64_t kBand = 256;
    const int64_t bands = (hw + kBand - 1) / kBand;
    parallel_for(n * bands, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / bands, p0 = (t % bands) * kBand, rows = std::min(kBand, hw - p0);
        float* out = y + b * c * hw + p0;
        fast::TransposeFloatMatrix(nhwc + (b * hw + p0) * c, c, rows, c, out, hw);
        if (gelu_)
          for (int64_t ch = 0; ch < c; ++ch) GeluErfInPlace(out + ch * hw, rows);
      }
    });
  }

  std::unique_ptr<QConvEntry> Create(const ir::Node& node, const Shape& x) {
    auto e = std::make_unique<QConvEntry>();
    auto problem = MakeConvProblem(node, x, p_.weights.shape(), /*transpose=*/false);
    if (!problem.ok() || problem.value().attrs.spatial != 2) {
      e->fallback = true;
      return e;
    }
    const ConvProblem& cp = problem.value();
    try {
      const Shape& os = cp.out_shape;
      e->src = memory::desc(ToDims(x), ActType(p_.u8), tag::nhwc);
      e->dst_nhwc = memory::desc(ToDims(os), memory::data_type::f32, tag::nhwc);
      memory::dims strides, dil, pl, pr;
      for (int i = 0; i < 2; ++i) {
        strides.push_back(cp.attrs.strides[i]);
        dil.push_back(cp.attrs.dilations[i] - 1);  // oneDNN counts the gaps
        pl.push_back(cp.window.pad_begin[i]);
        pr.push_back(cp.window.pad_end[i]);
      }
      const memory::desc bias({1, os[1], 1, 1}, memory::data_type::f32, tag::nchw);
      dnnl::convolution_forward::primitive_desc pd(
          dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                          e->src, PlainWeights(p_.weights.shape(), cp.group, memory::data_type::s8, true),
                                          e->dst_nhwc, strides, dil, pl, pr),
          MakeQuantAttr(p_, bias), Engine());
      e->prim = dnnl::convolution_forward(pd);
      e->impl = pd.impl_info_str();
      if (!(packed_ && packed_.get_desc() == pd.weights_desc()))
        packed_ = ReorderToNew(PlainWeights(p_.weights.shape(), cp.group, memory::data_type::s8, false),
                               p_.weights.raw(), pd.weights_desc());
      e->weights = packed_;
    } catch (const dnnl::error&) {
      e->fallback = true;
    }
    return e;
  }

  std::unique_ptr<rt::Kernel> fallback_;
  QuantParams p_;
  bool gelu_;
  memory zp_mem_;
  memory packed_;
  std::vector<uint8_t> src_;  // quantized NHWC input
  std::vector<float> dst_;    // NHWC float output before the reorder
  ShapeCache<QConvEntry> cache_;
};

std::string ProbeIsa(bool u8) {
  try {
    QuantParams p;
    p.u8 = u8;
    p.x_zero_point = 3;
    p.out_scales.assign(64, 0.5f);
    p.bias.assign(64, 0.f);
    const memory::desc src({1, 64, 32, 32}, ActType(u8), tag::nhwc);
    const memory::desc dst({1, 64, 32, 32}, memory::data_type::f32, tag::nhwc);
    const memory::desc bias({1, 64, 1, 1}, memory::data_type::f32, tag::nchw);
    dnnl::convolution_forward::primitive_desc pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        src, memory::desc({64, 64, 3, 3}, memory::data_type::s8, tag::any), dst,
                                        {1, 1}, {0, 0}, {1, 1}, {1, 1}),
        MakeQuantAttr(p, bias), Engine());
    return IsaTag(pd.impl_info_str());
  } catch (const dnnl::error&) {
    return "unavailable";
  }
}

}  // namespace

rt::KernelCandidate OnednnQConvCandidate(bool u8, bool gelu) {
  const std::string name =
      std::string("onednn.qconv_") + (u8 ? "u8s8_" : "s8s8_") + ProbeIsa(u8) + (gelu ? "_gelu" : "");
  return {name, [u8, gelu](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            QuantParams p;
            if (!ReadQuantParams(info, 0, u8, &p, why)) return nullptr;
            if (p.weights.rank() != 4) return Decline(why, "not a 2-D convolution");
            std::string fallback_why;
            auto fallback = RefQConvCandidate().make(info, &fallback_why);
            if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
            return std::make_unique<QConvKernel>(std::move(fallback), std::move(p), gelu);
          }};
}

void AddOnednnInt8ConvKernels(rt::OpRegistry& r) {
  r.AddFastKernel("com.samq", "QConv", OnednnQConvCandidate(false, false));
  r.AddFastKernel("com.samq", "QConv", OnednnQConvCandidate(true, false));
}

}  // namespace samq::backends::onednn
