// onednn.matmul_bias_f32: com.samq MatMulBias as one oneDNN matmul, [rows, K] x W [K, N] with
// the bias as the matmul's own [1, N] bias and, for activation = "gelu", eltwise_gelu_erf as a
// post-op, so both are applied to each output tile while it is in registers.
//
// As in onednn_matmul.cpp, the batch dims of the dense activation fold into the rows, and W is
// reordered once, at creation, into the blocked layout oneDNN's brgemm kernel picks for this K,
// N and these attributes (one packed copy serves every row count); primitives are cached per
// input shape. Shapes oneDNN rejects, or offers only its slow reference matmul for, run on
// ref.MatMulBias.
#include <string>
#include <unordered_map>

#include "backends/cpu/matmul_bias.h"
#include "backends/cpu/onednn_util.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;

constexpr int64_t kPackingRows = 128;  // any row count selects the weight layout

dnnl::primitive_attr GeluAttr(bool gelu) {
  dnnl::primitive_attr attr;
  if (gelu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return attr;
}

struct Entry {
  bool fallback = false;
  dnnl::matmul prim;
  memory::desc src, dst;
};

class MatMulBiasKernel final : public rt::Kernel {
 public:
  MatMulBiasKernel(std::unique_ptr<rt::Kernel> fallback, memory packed, const void* source, bool gelu)
      : fallback_(std::move(fallback)), packed_(std::move(packed)), source_(source), gelu_(gelu) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& w = ctx.input(1);
    const Tensor& b = ctx.input(2);
    const memory::desc wd = packed_.get_desc();
    const int64_t k = wd.dims()[0], n = wd.dims()[1];
    // A null W is the constant the session released (OwnsPackedCopy): the packed copy is it.
    const bool same_w = !w.raw() || w.raw() == source_;
    if (a.dtype() != DType::kFloat32 || a.rank() < 2 || a.dim(-1) != k || a.numel() == 0 || !same_w ||
        b.dtype() != DType::kFloat32 || b.numel() != n)
      return !w.raw() ? Status::InternalF("{}: weights were released but the input does not fit the packed copy",
                                          ctx.node().describe())
                      : fallback_->Run(ctx);
    std::lock_guard<std::mutex> lock(cache_.mu);
    Entry* e = cache_.Find(a.shape());
    if (!e) e = cache_.Insert(a.shape(), Create(a.numel() / k, k, n));
    if (e->fallback) {
      if (!w.raw())
        return Status::InternalF("{}: weights were released but oneDNN rejected shape {}", ctx.node().describe(),
                                 shape_str(a.shape()));
      return fallback_->Run(ctx);
    }
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, Wrap(e->src, a)},
                                         {DNNL_ARG_WEIGHTS, packed_},
                                         {DNNL_ARG_BIAS, Wrap(DenseDesc({1, n}), b)},
                                         {DNNL_ARG_DST, Wrap(e->dst, ctx.output_for_overwrite(0))}};
    e->prim.execute(ThreadStream(), args);
    ThreadStream().wait();
    return Status::Ok();
  }

  bool OwnsPackedCopy(int i) const override { return i == 1; }

 private:
  std::unique_ptr<Entry> Create(int64_t rows, int64_t k, int64_t n) {
    auto e = std::make_unique<Entry>();
    e->src = DenseDesc({rows, k});
    e->dst = DenseDesc({rows, n});
    try {
      dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(e->src, packed_.get_desc(), DenseDesc({1, n}), e->dst), GeluAttr(gelu_), Engine());
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

  std::unique_ptr<rt::Kernel> fallback_;
  memory packed_;
  const void* source_;  // the W it was packed from, to notice an overridden initializer
  bool gelu_;
  ShapeCache<Entry> cache_;
};

std::unique_ptr<rt::Kernel> MakeMatMulBias(const rt::KernelBuildInfo& info, std::string* why) {
  const auto& ta = info.input_types[0];
  if (ta.dtype != DType::kFloat32) return Decline(why, DtypeReason(ta.dtype));
  if (ta.rank_known && ta.rank() < 2) return Decline(why, "1-D operand (handled by the reference kernel)");
  const Tensor* w = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  if (!w || w->dtype() != DType::kFloat32 || w->rank() != 2) return Decline(why, "W is not a float32 2-D constant");
  const int64_t k = w->dim(0), n = w->dim(1);
  if (k <= 0 || n <= 0) return Decline(why, "empty weights");
  const bool gelu = info.node.attr_string("activation", "none") == "gelu";
  std::string fallback_why;
  auto fallback = RefMatMulBiasCandidate().make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  memory packed;
  try {
    dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc(DenseDesc({kPackingRows, k}), memory::desc({k, n}, memory::data_type::f32, memory::format_tag::any),
                           DenseDesc({1, n}), DenseDesc({kPackingRows, n})),
        GeluAttr(gelu), Engine());
    if (std::string(pd.impl_info_str()).find("ref") != std::string::npos)
      return Decline(why, "oneDNN offers only its reference matmul");
    packed = ReorderToNew(memory::desc({k, n}, memory::data_type::f32, memory::dims{n, 1}), w->raw(), pd.weights_desc());
  } catch (const dnnl::error& e) {
    return Decline(why, std::string("oneDNN rejected the weights: ") + e.what());
  }
  return std::make_unique<MatMulBiasKernel>(std::move(fallback), std::move(packed), w->raw(), gelu);
}

}  // namespace

rt::KernelCandidate OnednnMatMulBiasCandidate() { return {"onednn.matmul_bias_f32", MakeMatMulBias}; }

}  // namespace samq::backends::onednn
