// onednn.pointwise_conv_gelu_f32: com.samq ConvGelu for a 1x1, stride 1, unpadded, ungrouped
// conv on plain NCHW, run as one oneDNN matmul per input shape with GELU as a post-op.
//
// Why: on plain NCHW a pointwise conv is the product Y[n] (M x HW) = W (M x C) . X[n] (C x HW).
// oneDNN's convolution takes that layout only through its GEMM path, which applies eltwise
// post-ops with a slow scalar loop (onednn_conv.cpp therefore applies the GELU as a second pass
// over the output). Its matmul (brgemm) applies the GELU on each output tile while it is in
// registers/cache, with the same layouts and no reorders: the constant weights are the matmul's
// `src` (broadcast over the batch), the activation its `weights` operand. The bias is a binary-add
// post-op of a [1, M, 1] tensor (broadcast along HW) ahead of the GELU: as the matmul's own bias
// that shape only gets oneDNN's reference matmul. Where oneDNN offers only its reference matmul
// (far slower), or anything else does not fit, the node runs on onednn.conv_gelu_f32.
// Measured (1 thread, loaded 2-core VM, 64 -> 256 channels at 256 x 256 + GELU): 50-55 ms as
// conv + GELU pass, 39-44 ms here.
#include <unordered_map>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/conv_geometry.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;

struct PointwiseEntry {
  bool fallback = false;
  dnnl::matmul prim;
  memory::desc w, x, bias, y;
};

class PointwiseConvGelu final : public rt::Kernel {
 public:
  PointwiseConvGelu(Tensor w, Tensor bias, std::unique_ptr<rt::Kernel> fallback, bool tanh_form)
      : w_(std::move(w)), bias_(std::move(bias)), fallback_(std::move(fallback)), tanh_(tanh_form) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.dim(1) != w_.dim(1) || x.numel() == 0 ||
        ctx.input(1).raw() != w_.raw())
      return fallback_->Run(ctx);
    std::lock_guard<std::mutex> lock(cache_.mu);
    PointwiseEntry* e = cache_.Find(x.shape());
    if (!e) e = cache_.Insert(x.shape(), Create(x.shape()));
    if (e->fallback) return fallback_->Run(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, Wrap(e->w, w_)},
                                         {DNNL_ARG_WEIGHTS, Wrap(e->x, x)},
                                         {DNNL_ARG_DST, Wrap(e->y, y)}};
    if (bias_.defined()) args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = Wrap(e->bias, bias_);
    e->prim.execute(ThreadStream(), args);
    ThreadStream().wait();
    return Status::Ok();
  }

  std::unique_ptr<PointwiseEntry> Create(const Shape& xs) {
    auto e = std::make_unique<PointwiseEntry>();
    const int64_t n = xs[0], c = xs[1], hw = xs[2] * xs[3], m = w_.dim(0);
    e->w = DenseDesc({1, m, c});
    e->x = DenseDesc({n, c, hw});
    e->y = DenseDesc({n, m, hw});
    if (bias_.defined()) e->bias = DenseDesc({1, m, 1});
    try {
      dnnl::post_ops ops;
      if (bias_.defined()) ops.append_binary(dnnl::algorithm::binary_add, e->bias);
      ops.append_eltwise(1.0f, tanh_ ? dnnl::algorithm::eltwise_gelu_tanh : dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      dnnl::primitive_attr attr;
      attr.set_post_ops(ops);
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(e->w, e->x, e->y), attr, Engine());
      // The reference matmul is far slower than the conv path this kernel replaces.
      if (std::string(pd.impl_info_str()).find("ref") != std::string::npos) {
        e->fallback = true;
        return e;
      }
      e->prim = dnnl::matmul(pd);
    } catch (const dnnl::error&) {
      e->fallback = true;
    }
    return e;
  }

  void Warm(const Shape& xs) {
    std::lock_guard<std::mutex> lock(cache_.mu);
    if (!cache_.Find(xs)) cache_.Insert(xs, Create(xs));
  }

 private:
  Tensor w_, bias_;  // constant weights [M, C, 1, 1] and bias [M] (shared buffers)
  std::unique_ptr<rt::Kernel> fallback_;
  bool tanh_;  // approximate = "tanh"
  ShapeCache<PointwiseEntry> cache_;
};

std::unique_ptr<rt::Kernel> MakePointwiseConvGelu(const rt::KernelBuildInfo& info, std::string* why) {
  const ir::Node& node = info.node;
  const auto& x = info.input_types[0];
  if (x.dtype != DType::kFloat32) return Decline(why, DtypeReason(x.dtype));
  if (!x.rank_known || x.rank() != 4) return Decline(why, "not a 4-D (NCHW) input");
  const Tensor* w = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  if (!w) return Decline(why, "weights are not constant");
  if (w->dtype() != DType::kFloat32 || w->rank() != 4 || w->dim(2) != 1 || w->dim(3) != 1)
    return Decline(why, "not a float32 1x1 kernel");
  if (node.attr_int("group", 1) != 1) return Decline(why, "grouped");
  auto attrs = ReadWindowAttrs(node, 2, {1, 1});
  if (!attrs.ok()) return Decline(why, "invalid window attributes");
  for (int64_t v : attrs->strides)
    if (v != 1) return Decline(why, "strided");
  for (int64_t v : attrs->pads)
    if (v != 0) return Decline(why, "padded");
  if (attrs->auto_pad != AutoPad::kNotSet && attrs->auto_pad != AutoPad::kValid)
    return Decline(why, "auto_pad SAME_*");
  Tensor bias;
  if (node.has_input(2)) {
    const Tensor* b = info.const_inputs.size() > 2 ? info.const_inputs[2] : nullptr;
    if (!b || b->dtype() != DType::kFloat32) return Decline(why, "bias is not a float32 constant");
    bias = *b;
  }
  std::string fallback_why;
  auto fallback = OnednnConvGeluCandidate().make(info, &fallback_why);
  if (!fallback) fallback = RefConvGeluCandidate().make(info, &fallback_why);
  if (!fallback) return Decline(why, "no fallback: " + fallback_why);
  auto k = std::make_unique<PointwiseConvGelu>(*w, std::move(bias), std::move(fallback), GeluIsTanh(node));
  if (x.fully_known()) k->Warm(x.dims);
  return k;
}

}  // namespace

rt::KernelCandidate OnednnPointwiseConvGeluCandidate() {
  return {"onednn.pointwise_conv_gelu_f32", MakePointwiseConvGelu};
}

}  // namespace samq::backends::onednn
