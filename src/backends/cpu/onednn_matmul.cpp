// oneDNN float32 MatMul and Gemm.
//
// The common SAM case is activations [..., M, K] times a constant weight [K, N]: the batch dims
// fold into M (the activation is dense), and the weight is reordered once, at kernel creation,
// into the blocked layout oneDNN's brgemm kernel wants (measured on this repo's 4096x768x3072
// layer: about 2x faster than handing it the plain layout every run, which repacks it each
// time). oneDNN picks that layout from K and N only, so one packed copy serves every M.
// Attention-style products of two activations ([B, H, M, K] x [B, H, K, N], with batch
// broadcasting) go to oneDNN's batched matmul with plain layouts. Primitives are cached per
// input shape. Anything oneDNN rejects for a given shape runs on the reference kernel.
#include <unordered_map>

#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/linalg_nn_families.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;

// Any M works for choosing the weight layout; this one only has to be valid.
constexpr int64_t kPackingRows = 128;


// B (K x N) stored plainly: row-major, or transposed (stored N x K) for Gemm's transB.
memory::desc PlainWeightsDesc(int64_t k, int64_t n, bool transposed) {
  return memory::desc({k, n}, memory::data_type::f32,
                      transposed ? memory::dims{1, k} : memory::dims{n, 1});
}

// A constant 2-D weight reordered into oneDNN's preferred layout; `source` identifies the
// tensor it was made from, so a run with a different B (an overridden initializer) is noticed.
struct PackedWeights {
  bool valid = false;
  int64_t k = 0, n = 0;
  const void* source = nullptr;
  memory mem;
};

PackedWeights PackWeights(const Tensor& b, bool transposed, float scale) {
  PackedWeights p;
  const int64_t k = b.dim(transposed ? 1 : 0), n = b.dim(transposed ? 0 : 1);
  if (k <= 0 || n <= 0) return p;
  try {
    const memory::desc plain = PlainWeightsDesc(k, n, transposed);
    dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc(DenseDesc({kPackingRows, k}), memory::desc({k, n}, memory::data_type::f32, memory::format_tag::any),
                           DenseDesc({kPackingRows, n})),
        Engine());
    // Gemm's alpha folds into the packed copy, so the primitive needs no output scale.
    Tensor scaled = b;
    if (scale != 1.0f) {
      scaled = b.Clone();
      float* d = scaled.data<float>();
      for (int64_t i = 0; i < scaled.numel(); ++i) d[i] *= scale;
    }
    p.mem = ReorderToNew(plain, scaled.raw(), pd.weights_desc());
    p.valid = true;
    p.k = k;
    p.n = n;
    p.source = b.raw();
  } catch (const dnnl::error&) {
    p.valid = false;  // runs then use the plain layout
  }
  return p;
}

struct MatMulEntry {
  bool fallback = false;  // oneDNN rejected this shape
  bool packed = false;    // uses the prepacked weights
  dnnl::matmul prim;
  memory::desc src, wei, bias, dst;
};

// Creates the primitive for src x wei -> dst, trying the packed weight layout first.
std::unique_ptr<MatMulEntry> MakeEntry(const memory::desc& src, const memory::desc& plain_wei,
                                       const PackedWeights* packed, const memory::desc& bias,
                                       const memory::desc& dst) {
  auto e = std::make_unique<MatMulEntry>();
  e->src = src;
  e->dst = dst;
  e->bias = bias;
  if (packed) {
    try {
      const memory::desc wd = packed->mem.get_desc();
      e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wd, bias, dst), Engine()));
      e->wei = wd;
      e->packed = true;
      return e;
    } catch (const dnnl::error&) {
    }
  }
  try {
    e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, plain_wei, bias, dst), Engine()));
    e->wei = plain_wei;
  } catch (const dnnl::error&) {
    e->fallback = true;
  }
  return e;
}

void Execute(const MatMulEntry& e, const Tensor& a, const Tensor& b, const PackedWeights& packed,
             const Tensor* bias, Tensor& y) {
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, Wrap(e.src, a)},
      {DNNL_ARG_WEIGHTS, e.packed ? packed.mem : Wrap(e.wei, b)},
      {DNNL_ARG_DST, Wrap(e.dst, y)}};
  if (bias) args[DNNL_ARG_BIAS] = Wrap(e.bias, *bias);
  e.prim.execute(ThreadStream(), args);
  ThreadStream().wait();
}

class MatMulKernel final : public rt::Kernel {
 public:
  MatMulKernel(std::unique_ptr<rt::Kernel> fallback, PackedWeights packed)
      : fallback_(std::move(fallback)), packed_(std::move(packed)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    // 1-D operands, empty products and non-float32 data go to the reference kernel.
    if (a.rank() < 2 || b.rank() < 2 || a.dtype() != DType::kFloat32 ||
        b.dtype() != DType::kFloat32 || a.numel() == 0 || b.numel() == 0 ||
        shape_numel(ctx.output_type(0).dims) == 0 || std::max(a.rank(), b.rank()) > DNNL_MAX_NDIMS)
      return fallback_->Run(ctx);
    const int64_t k = a.dim(-1), n = b.dim(-1);
    std::lock_guard<std::mutex> lock(cache_.mu);
    const Shape key = ShapeKey({&a.shape(), &b.shape()});
    MatMulEntry* e = cache_.Find(key);
    // A null B is the constant the session released (OwnsPackedCopy): the packed copy is it.
    const bool use_packed = packed_.valid && b.rank() == 2 && (b.raw() == packed_.source || !b.raw());
    if (!e) {
      if (b.rank() == 2) {
        // [..., M, K] x [K, N]: fold the batch dims of the dense activation into M.
        const int64_t rows = a.numel() / k;
        e = cache_.Insert(key, MakeEntry(DenseDesc({rows, k}), PlainWeightsDesc(k, n, false),
                                         use_packed ? &packed_ : nullptr, memory::desc(),
                                         DenseDesc({rows, n})));
      } else {
        // Batched: equal ranks with leading 1s; oneDNN broadcasts batch dims of size 1.
        const size_t r = std::max(a.rank(), b.rank());
        Shape ad = a.shape(), bd = b.shape();
        ad.insert(ad.begin(), r - ad.size(), 1);
        bd.insert(bd.begin(), r - bd.size(), 1);
        e = cache_.Insert(key, MakeEntry(DenseDesc(ToDims(ad)), DenseDesc(ToDims(bd)), nullptr,
                                         memory::desc(), DenseDesc(ToDims(ctx.output_type(0).dims))));
      }
    }
    if (!b.raw() && (e->fallback || !e->packed))
      return Status::InternalF("{}: weights were released but oneDNN rejected the packed layout for shape {}",
                               ctx.node().describe(), shape_str(a.shape()));
    if (e->fallback) return fallback_->Run(ctx);
    Execute(*e, a, b, packed_, nullptr, ctx.output_for_overwrite(0));
    return Status::Ok();
  }
  bool OwnsPackedCopy(int i) const override { return i == 1 && packed_.valid; }

 private:
  std::unique_ptr<rt::Kernel> fallback_;
  PackedWeights packed_;
  ShapeCache<MatMulEntry> cache_;
};

std::unique_ptr<rt::Kernel> MakeMatMul(const rt::KernelBuildInfo& info, std::string* why) {
  const auto& ta = info.input_types[0];
  const auto& tb = info.input_types[1];
  if (ta.dtype != DType::kFloat32) return Decline(why, DtypeReason(ta.dtype));
  if (tb.dtype != DType::kFloat32) return Decline(why, DtypeReason(tb.dtype));
  if ((ta.rank_known && ta.rank() < 2) || (tb.rank_known && tb.rank() < 2))
    return Decline(why, "1-D operand (handled by the reference kernel)");
  std::string fallback_why;
  auto fallback = RefMatMulCandidate().make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  PackedWeights packed;
  const Tensor* b = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  if (b && b->rank() == 2 && b->dtype() == DType::kFloat32) packed = PackWeights(*b, false, 1.0f);
  return std::make_unique<MatMulKernel>(std::move(fallback), std::move(packed));
}

// Gemm = MatMul with transposes (as strides), alpha folded into a constant B, and C as oneDNN's
// bias when it is a row vector ({N} or {1, N}); any other C is added after the product.
class GemmKernel final : public rt::Kernel {
 public:
  GemmKernel(std::unique_ptr<rt::Kernel> fallback, PackedWeights packed, Tensor scaled_c,
             bool trans_a, bool trans_b, float alpha)
      : fallback_(std::move(fallback)), packed_(std::move(packed)), scaled_c_(std::move(scaled_c)),
        trans_a_(trans_a), trans_b_(trans_b), alpha_(alpha) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& y = ctx.output_for_overwrite(0);
    if (a.dtype() != DType::kFloat32 || y.numel() == 0 || a.numel() == 0) return Fallback(ctx);
    const int64_t m = y.dim(0), n = y.dim(1), k = a.dim(trans_a_ ? 0 : 1);
    // C: the prescaled constant, or the run-time input (beta is 1 then: checked at creation).
    const Tensor* c = scaled_c_.defined() ? &scaled_c_ : (ctx.has_input(2) ? &ctx.input(2) : nullptr);
    const bool c_is_row = c && c->numel() == n && (c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1));
    std::lock_guard<std::mutex> lock(cache_.mu);
    const Shape no_c;
    const Shape key = ShapeKey({&a.shape(), &b.shape(), c ? &c->shape() : &no_c});
    MatMulEntry* e = cache_.Find(key);
    if (!e) {
      const memory::desc src({m, k}, memory::data_type::f32, trans_a_ ? memory::dims{1, m} : memory::dims{k, 1});
      const bool use_packed = packed_.valid && b.raw() == packed_.source;
      e = cache_.Insert(key, MakeEntry(src, PlainWeightsDesc(k, n, trans_b_), use_packed ? &packed_ : nullptr,
                                       c_is_row ? DenseDesc({1, n}) : memory::desc(), DenseDesc({m, n})));
    }
    // Only the prepacked copy carries alpha: without it, the reference kernel does it all.
    if (e->fallback || (!e->packed && alpha_ != 1.0f)) return Fallback(ctx);
    Execute(*e, a, b, packed_, c_is_row ? c : nullptr, y);
    if (c && !c_is_row) AddBroadcastC(*c, y);
    return Status::Ok();
  }

 private:
  // The reference kernel may rely on a zero-filled output: drop the unfilled one taken above.
  Status Fallback(rt::KernelContext& ctx) {
    ctx.discard_output(0);
    return fallback_->Run(ctx);
  }

  // y += C broadcast to (M, N); C has rank <= 2 and each dim 1 or the output's (infer checked).
  static void AddBroadcastC(const Tensor& c, Tensor& y) {
    const int64_t m = y.dim(0), n = y.dim(1), cr = c.rank();
    const int64_t cm = cr == 2 ? c.dim(0) : 1, cn = cr >= 1 ? c.dim(cr - 1) : 1;
    const float* pc = c.data<float>();
    float* py = y.data<float>();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) py[i * n + j] += pc[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
  }

  std::unique_ptr<rt::Kernel> fallback_;
  PackedWeights packed_;
  Tensor scaled_c_;  // beta * C when C is constant
  bool trans_a_, trans_b_;
  float alpha_;
  ShapeCache<MatMulEntry> cache_;
};

std::unique_ptr<rt::Kernel> MakeGemm(const rt::KernelBuildInfo& info, std::string* why) {
  const ir::Node& node = info.node;
  for (size_t i = 0; i < info.input_types.size() && i < 3; ++i)
    if (node.has_input(static_cast<int>(i)) && info.input_types[i].dtype != DType::kFloat32)
      return Decline(why, DtypeReason(info.input_types[i].dtype));
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.0f), beta = node.attr_float("beta", 1.0f);
  const Tensor* b = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  const Tensor* c = info.const_inputs.size() > 2 && node.has_input(2) ? info.const_inputs[2] : nullptr;
  if (alpha != 1.0f && !b) return Decline(why, "alpha != 1 with non-constant B");
  if (beta != 1.0f && node.has_input(2) && !c) return Decline(why, "beta != 1 with non-constant C");
  std::string fallback_why;
  auto fallback = RefGemmCandidate().make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  PackedWeights packed;
  if (b && b->rank() == 2) packed = PackWeights(*b, tb, alpha);
  if (alpha != 1.0f && !packed.valid) return Decline(why, "alpha != 1 and B could not be prepacked");
  Tensor scaled_c;
  if (c) {
    scaled_c = c->Clone();
    float* d = scaled_c.data<float>();
    for (int64_t i = 0; i < scaled_c.numel(); ++i) d[i] *= beta;
  }
  return std::make_unique<GemmKernel>(std::move(fallback), std::move(packed), std::move(scaled_c), ta, tb, alpha);
}

}  // namespace

void AddOnednnMatMulKernels(rt::OpRegistry& r) {
  r.AddFastKernel("", "MatMul", {"onednn.matmul_f32", MakeMatMul});
  r.AddFastKernel("", "Gemm", {"onednn.gemm_f32", MakeGemm});
}

}  // namespace samq::backends::onednn
