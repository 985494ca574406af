// oneDNN float32 2-D Conv and ConvTranspose with constant weights.
//
// The rest of the graph sees dense NCHW. Per input shape the kernel creates a primitive, lets
// oneDNN choose the weight layout, and reorders the constant weights into it once (shapes that
// end up with the same layout share the packed copy). Activation layout, measured on SAM layer
// shapes with 2 threads: a 1x1 / stride 1 / unpadded conv runs as one GEMM on plain NCHW, and
// repacking its input and output costs more than it saves; every other conv (3x3, patch
// embeddings, depthwise — where plain NCHW falls to a slow GEMM path) is faster in oneDNN's
// blocked layout even with the reorders in and out. ConvTranspose (the decoder's 2x2 stride 2
// upscalers) measured the same either way, so it stays in NCHW. Shapes oneDNN cannot take
// (negative transposed padding, empty tensors) run on the reference kernel.
#include <unordered_map>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/conv_geometry.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

struct ConvEntry {
  bool fallback = false;
  dnnl::primitive prim;
  memory::desc user_src, user_dst;  // dense NCHW, what the graph holds
  bool reorder_src = false, reorder_dst = false;
  bool gelu_after = false;          // ConvGelu whose GELU runs as a pass after the primitive
  memory src_buf, dst_buf;          // the primitive's layouts, when they differ
  dnnl::reorder to_src, from_dst;
  memory weights;
};

class ConvKernel final : public rt::Kernel {
 public:
  // `gelu`: com.samq ConvGelu (passes/fuse_conv_gelu): GELU (erf form) applied by a oneDNN
  // post-op while the output is still in cache, instead of a second pass over memory.
  ConvKernel(bool transpose, Tensor w, Tensor bias, std::unique_ptr<rt::Kernel> fallback,
             bool gelu = false)
      : transpose_(transpose), gelu_(gelu), w_(std::move(w)), bias_(std::move(bias)),
        fallback_(std::move(fallback)) {}

  // Builds the primitive for an input shape ahead of the first run (prepacks the weights).
  void Warm(const ir::Node& node, const Shape& x) {
    std::lock_guard<std::mutex> lock(cache_.mu);
    if (!cache_.Find(x)) cache_.Insert(x, Create(node, x));
  }

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    // The packed weights are only valid for the tensor they came from.
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.numel() == 0 ||
        shape_numel(ctx.output_type(0).dims) == 0 || ctx.input(1).raw() != w_.raw())
      return fallback_->Run(ctx);
    std::lock_guard<std::mutex> lock(cache_.mu);
    ConvEntry* e = cache_.Find(x.shape());
    if (!e) e = cache_.Insert(x.shape(), Create(ctx.node(), x.shape()));
    if (e->fallback) return fallback_->Run(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    dnnl::stream& s = ThreadStream();
    memory user_src = Wrap(e->user_src, x), user_dst = Wrap(e->user_dst, y);
    if (e->reorder_src) e->to_src.execute(s, user_src, e->src_buf);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, e->reorder_src ? e->src_buf : user_src},
                                         {DNNL_ARG_WEIGHTS, e->weights},
                                         {DNNL_ARG_DST, e->reorder_dst ? e->dst_buf : user_dst}};
    if (bias_.defined()) args[DNNL_ARG_BIAS] = Wrap(memory::desc({bias_.numel()}, memory::data_type::f32, tag::a), bias_);
    e->prim.execute(s, args);
    if (e->reorder_dst) e->from_dst.execute(s, e->dst_buf, user_dst);
    s.wait();
    if (e->gelu_after) {
      float* py = y.data<float>();
      const bool tanh = GeluIsTanh(ctx.node());
      parallel_for(y.numel(), 1 << 14, [py, tanh](int64_t lo, int64_t hi) { GeluInPlace(py + lo, hi - lo, tanh); });
    }
    return Status::Ok();
  }

 private:
  std::unique_ptr<ConvEntry> Create(const ir::Node& node, const Shape& x) {
    auto e = std::make_unique<ConvEntry>();
    auto problem = MakeConvProblem(node, x, w_.shape(), transpose_);
    if (!problem.ok()) {  // the reference kernel reports the error
      e->fallback = true;
      return e;
    }
    const ConvProblem& p = *problem;
    const int64_t g = p.group, c = p.in_channels, m = p.out_channels;
    const auto& a = p.attrs;
    const memory::dims strides = {a.strides[0], a.strides[1]};
    const memory::dims dilates = {a.dilations[0] - 1, a.dilations[1] - 1};  // oneDNN counts gaps
    const memory::dims pad_l = {p.window.pad_begin[0], p.window.pad_begin[1]};
    memory::dims pad_r = {p.window.pad_end[0], p.window.pad_end[1]};
    const memory::dims kernel = {a.kernel[0], a.kernel[1]};
    // ONNX weights: Conv [M, C/g, kh, kw], ConvTranspose [C, M/g, kh, kw]; oneDNN names both by
    // (groups, out, in, kh, kw) and takes the stored order as a format tag.
    memory::dims wdims = g == 1 ? memory::dims{m, c} : memory::dims{g, m / g, c / g};
    wdims.insert(wdims.end(), kernel.begin(), kernel.end());
    const tag user_wtag = transpose_ ? (g == 1 ? tag::iohw : tag::giohw) : (g == 1 ? tag::oihw : tag::goihw);
    e->user_src = DenseDesc(ToDims(x));
    e->user_dst = DenseDesc(ToDims(p.out_shape));
    const memory::desc bias_md = bias_.defined() ? memory::desc({m}, memory::data_type::f32, tag::a) : memory::desc();
    const memory::desc wany(wdims, memory::data_type::f32, tag::any);
    try {
      memory::desc src_pd, dst_pd, wei_pd;
      if (!transpose_) {
        const bool pointwise = a.kernel[0] == 1 && a.kernel[1] == 1 && a.strides[0] == 1 &&
                               a.strides[1] == 1 && pad_l[0] == 0 && pad_l[1] == 0 &&
                               pad_r[0] == 0 && pad_r[1] == 0;
        const memory::desc src_md = pointwise ? e->user_src : memory::desc(ToDims(x), memory::data_type::f32, tag::any);
        const memory::desc dst_md = pointwise ? e->user_dst : memory::desc(ToDims(p.out_shape), memory::data_type::f32, tag::any);
        dnnl::primitive_attr attr;
        // The plain-layout GEMM path (pointwise convs) runs eltwise post-ops with a slow scalar
        // loop (MobileSAM's 64->256 1x1 at 256x256: 14 ms -> 240 ms), so there the GELU is a
        // vectorized pass over the output after the primitive instead.
        e->gelu_after = gelu_ && pointwise;
        if (gelu_ && !pointwise) {
          dnnl::post_ops ops;
          ops.append_eltwise(1.0f, GeluIsTanh(node) ? dnnl::algorithm::eltwise_gelu_tanh : dnnl::algorithm::eltwise_gelu_erf,
                             0.0f, 0.0f);
          attr.set_post_ops(ops);
        }
        dnnl::convolution_forward::primitive_desc pd(
            dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                            dnnl::algorithm::convolution_direct, src_md, wany,
                                            bias_md, dst_md, strides, dilates, pad_l, pad_r),
            attr, Engine());
        e->prim = dnnl::convolution_forward(pd);
        src_pd = pd.src_desc();
        dst_pd = pd.dst_desc();
        wei_pd = pd.weights_desc();
      } else {
        // oneDNN's deconvolution has no output_padding / output_shape: they become the right
        // padding, out = s * (in - 1) + dilated_k - pad_l - pad_r.
        for (int i = 0; i < 2; ++i)
          pad_r[i] = a.strides[i] * (x[2 + i] - 1) + DilatedKernel(a.kernel[i], a.dilations[i]) -
                     pad_l[i] - p.out_shape[2 + i];
        if (pad_l[0] < 0 || pad_l[1] < 0 || pad_r[0] < 0 || pad_r[1] < 0) {
          e->fallback = true;
          return e;
        }
        dnnl::deconvolution_forward::primitive_desc pd(
            dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                              dnnl::algorithm::deconvolution_direct, e->user_src,
                                              wany, bias_md, e->user_dst, strides, dilates, pad_l, pad_r),
            Engine());
        e->prim = dnnl::deconvolution_forward(pd);
        src_pd = pd.src_desc();
        dst_pd = pd.dst_desc();
        wei_pd = pd.weights_desc();
      }
      e->weights = PackedWeightsFor(wei_pd, memory::desc(wdims, memory::data_type::f32, user_wtag));
      if (src_pd != e->user_src) {
        e->reorder_src = true;
        e->src_buf = memory(src_pd, Engine());
        e->to_src = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->user_src, Engine(), src_pd));
      }
      if (dst_pd != e->user_dst) {
        e->reorder_dst = true;
        e->dst_buf = memory(dst_pd, Engine());
        e->from_dst = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), dst_pd, Engine(), e->user_dst));
      }
    } catch (const dnnl::error&) {
      e = std::make_unique<ConvEntry>();
      e->fallback = true;
    }
    return e;
  }

  // The weights in layout `want`, reordered from the ONNX tensor once per distinct layout.
  memory PackedWeightsFor(const memory::desc& want, const memory::desc& user) {
    for (const auto& [d, mem] : packed_)
      if (d == want) return mem;
    memory mem = ReorderToNew(user, w_.raw(), want);
    packed_.emplace_back(want, mem);
    return mem;
  }

  bool transpose_;
  bool gelu_;
  Tensor w_, bias_;  // the constant weights and bias (shared buffers, not copies)
  std::unique_ptr<rt::Kernel> fallback_;
  std::vector<std::pair<memory::desc, memory>> packed_;
  ShapeCache<ConvEntry> cache_;
};

std::unique_ptr<rt::Kernel> MakeConvLike(const rt::KernelBuildInfo& info, std::string* why,
                                         bool transpose, bool gelu = false) {
  const auto& x = info.input_types[0];
  const auto& w = info.input_types[1];
  if (x.dtype != DType::kFloat32) return Decline(why, DtypeReason(x.dtype));
  const int64_t rank = x.rank_known ? x.rank() : (w.rank_known ? w.rank() : -1);
  if (rank < 0) return Decline(why, "input rank unknown at compile time");
  if (rank != 4) return Decline(why, "rank " + std::to_string(rank) + " " + (transpose ? "deconv" : "conv") + " not handled (2-D only)");
  const Tensor* wt = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  if (!wt) return Decline(why, "weights are not constant");
  if (wt->dtype() != DType::kFloat32) return Decline(why, DtypeReason(wt->dtype()));
  Tensor bias;
  if (info.node.has_input(2)) {
    const Tensor* b = info.const_inputs.size() > 2 ? info.const_inputs[2] : nullptr;
    if (!b) return Decline(why, "bias is not constant");
    if (b->dtype() != DType::kFloat32) return Decline(why, DtypeReason(b->dtype()));
    bias = *b;
  }
  std::string fallback_why;
  // ConvGelu's fallback is its own reference kernel (ref.ConvGelu), which also applies the GELU.
  auto fallback = gelu ? RefConvGeluCandidate().make(info, &fallback_why)
                       : (transpose ? RefConvTransposeCandidate() : RefConvCandidate()).make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  auto k = std::make_unique<ConvKernel>(transpose, *wt, std::move(bias), std::move(fallback), gelu);
  if (x.fully_known()) k->Warm(info.node, x.dims);  // prepack now when the input shape is static
  return k;
}

}  // namespace

rt::KernelCandidate OnednnConvGeluCandidate() {
  return {"onednn.conv_gelu_f32", [](const rt::KernelBuildInfo& info, std::string* why) {
            return MakeConvLike(info, why, false, true);
          }};
}

void AddOnednnConvKernels(rt::OpRegistry& r) {
  r.AddFastKernel("", "Conv", {"onednn.conv_f32", [](const rt::KernelBuildInfo& info, std::string* why) {
                                 return MakeConvLike(info, why, false);
                               }});
  r.AddFastKernel("", "ConvTranspose", {"onednn.deconv_f32", [](const rt::KernelBuildInfo& info, std::string* why) {
                                          return MakeConvLike(info, why, true);
                                        }});
}

}  // namespace samq::backends::onednn
