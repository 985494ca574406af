// oneDNN MatMul with bfloat16 operands and float32 accumulation/output (`--precision bf16`).
//
// Only active when the session asks for ComputePrecision::kBFloat16; otherwise it declines and
// the float32 candidates run. A constant 2-D weight is rounded to bfloat16 and reordered into
// oneDNN's preferred blocked layout once, at kernel creation (half the bytes of the float32 packed
// copy). Activations are rounded to bfloat16 on every run (a reorder: O(M*K), small next to the
// O(M*K*N) product). oneDNN dispatches to AMX-BF16 or AVX512-BF16 where the CPU has them.
// Products of two activations (attention) use bfloat16 too, unless an operand is so large that
// its bfloat16 copy would raise peak memory noticeably (the ViT-B global-attention probabilities
// are 805 MB in float32): those run as a plain oneDNN float32 product.
#include <unordered_map>

#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/reference/linalg_nn_families.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;
using dt = memory::data_type;

constexpr int64_t kPackingRows = 128;  // any M works for choosing the weight layout
// Activation operands larger than this (elements) are not copied to bfloat16 (see above).
constexpr int64_t kMaxConvertedElements = int64_t{32} << 20;

// Dense row-major (C order) descriptor of any data type.
memory::desc Dense(const memory::dims& dims, dt type) {
  memory::dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<memory::dim>(dims[i + 1], 1);
  return memory::desc(dims, type, strides);
}

memory::dims Padded(const Shape& s, size_t rank) {
  memory::dims d(rank - s.size(), 1);
  d.insert(d.end(), s.begin(), s.end());
  return d;
}

// One shape's primitives: input reorders to bfloat16 and the product.
struct Bf16Entry {
  bool f32 = false;  // `prim` is a float32 product (operands too big to convert)
  bool ref = false;  // oneDNN rejected the shape: reference kernel
  dnnl::matmul prim;
  memory::desc a_f32, a_bf16, b_f32, b_bf16, dst;
  dnnl::reorder a_cvt, b_cvt;
};

class Bf16MatMulKernel final : public rt::Kernel {
 public:
  Bf16MatMulKernel(std::unique_ptr<rt::Kernel> fallback, memory packed, int64_t k, int64_t n)
      : fallback_(std::move(fallback)), packed_(std::move(packed)), k_(k), n_(n) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    const Shape& y_shape = ctx.output_type(0).dims;
    if (a.rank() < 2 || b.rank() < 2 || a.dtype() != DType::kFloat32 ||
        b.dtype() != DType::kFloat32 || a.numel() == 0 || b.numel() == 0 ||
        shape_numel(y_shape) == 0 || std::max(a.rank(), b.rank()) > DNNL_MAX_NDIMS)
      return fallback_->Run(ctx);
    const bool use_packed = packed_ && b.rank() == 2 && b.dim(0) == k_ && b.dim(1) == n_;
    std::lock_guard<std::mutex> lock(cache_.mu);
    const Shape key = ShapeKey({&a.shape(), &b.shape()});
    Bf16Entry* e = cache_.Find(key);
    if (!e) e = cache_.Insert(key, MakeEntry(a, b, y_shape, use_packed));
    if (!b.raw() && (e->ref || !use_packed))
      return Status::InternalF("{}: weights were released but the bfloat16 product cannot use its packed copy",
                               ctx.node().describe());
    if (e->ref) return fallback_->Run(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    if (e->f32) {
      e->prim.execute(ThreadStream(), {{DNNL_ARG_SRC, Wrap(e->a_f32, a)}, {DNNL_ARG_WEIGHTS, Wrap(e->b_f32, b)},
                                       {DNNL_ARG_DST, Wrap(e->dst, y)}});
      ThreadStream().wait();
      return Status::Ok();
    }
    memory a_bf(e->a_bf16, Engine());  // per-run scratch, freed on return
    memory a_in = Wrap(e->a_f32, a);
    e->a_cvt.execute(ThreadStream(), a_in, a_bf);
    memory w = packed_;
    if (!use_packed) {
      w = memory(e->b_bf16, Engine());
      memory b_in = Wrap(e->b_f32, b);
      e->b_cvt.execute(ThreadStream(), b_in, w);
    }
    e->prim.execute(ThreadStream(), {{DNNL_ARG_SRC, a_bf}, {DNNL_ARG_WEIGHTS, w},
                                     {DNNL_ARG_DST, Wrap(e->dst, y)}});
    ThreadStream().wait();
    return Status::Ok();
  }

 private:
  std::unique_ptr<Bf16Entry> MakeEntry(const Tensor& a, const Tensor& b, const Shape& y_shape,
                                       bool use_packed) const {
    auto e = std::make_unique<Bf16Entry>();
    try {
      if (use_packed) {
        // [..., M, K] x [K, N]: the batch dims of the dense activation fold into M.
        const int64_t rows = a.numel() / k_;
        e->a_f32 = Dense({rows, k_}, dt::f32);
        e->a_bf16 = Dense({rows, k_}, dt::bf16);
        e->dst = Dense({rows, n_}, dt::f32);
        e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(
            dnnl::matmul::desc(e->a_bf16, packed_.get_desc(), e->dst), Engine()));
      } else {
        // Batched: equal ranks with leading 1s; oneDNN broadcasts batch dims of size 1.
        const size_t r = std::max(a.rank(), b.rank());
        const memory::dims ad = Padded(a.shape(), r), bd = Padded(b.shape(), r);
        e->a_f32 = Dense(ad, dt::f32);
        e->a_bf16 = Dense(ad, dt::bf16);
        e->b_f32 = Dense(bd, dt::f32);
        e->b_bf16 = Dense(bd, dt::bf16);
        e->dst = Dense(ToDims(y_shape), dt::f32);
        if (a.numel() > kMaxConvertedElements || b.numel() > kMaxConvertedElements) {
          e->f32 = true;
          e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(
              dnnl::matmul::desc(e->a_f32, e->b_f32, e->dst), Engine()));
          return e;
        }
        e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(
            dnnl::matmul::desc(e->a_bf16, e->b_bf16, e->dst), Engine()));
        e->b_cvt = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->b_f32, Engine(), e->b_bf16));
      }
      e->a_cvt = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->a_f32, Engine(), e->a_bf16));
    } catch (const dnnl::error&) {
      e->ref = true;  // e.g. a CPU without bfloat16 support in oneDNN
    }
    return e;
  }

  bool OwnsPackedCopy(int i) const override { return i == 1 && static_cast<bool>(packed_); }

 private:
  std::unique_ptr<rt::Kernel> fallback_;  // float32 for what this kernel does not take
  memory packed_;                         // bf16 weights in oneDNN's layout; empty if B varies
  int64_t k_ = 0, n_ = 0;
  ShapeCache<Bf16Entry> cache_;
};

// Rounds the constant weight to bf16 in the layout oneDNN's bf16 matmul prefers.
memory PackBf16Weights(const Tensor& b) {
  const int64_t k = b.dim(0), n = b.dim(1);
  try {
    dnnl::matmul::primitive_desc pd(
        dnnl::matmul::desc(Dense({kPackingRows, k}, dt::bf16), memory::desc({k, n}, dt::bf16, memory::format_tag::any),
                           Dense({kPackingRows, n}, dt::f32)),
        Engine());
    return ReorderToNew(Dense({k, n}, dt::f32), b.raw(), pd.weights_desc());
  } catch (const dnnl::error&) {
    return memory();
  }
}

std::unique_ptr<rt::Kernel> MakeBf16MatMul(const rt::KernelBuildInfo& info, std::string* why) {
  if (info.precision != rt::ComputePrecision::kBFloat16) return Decline(why, "session precision is float32");
  const auto& ta = info.input_types[0];
  const auto& tb = info.input_types[1];
  if (ta.dtype != DType::kFloat32) return Decline(why, DtypeReason(ta.dtype));
  if (tb.dtype != DType::kFloat32) return Decline(why, DtypeReason(tb.dtype));
  if ((ta.rank_known && ta.rank() < 2) || (tb.rank_known && tb.rank() < 2))
    return Decline(why, "1-D operand (handled by the float32 kernels)");
  // The fallback is the float32 reference product: exact, and only hit by odd shapes.
  std::string fallback_why;
  auto fallback = RefMatMulCandidate().make(info, &fallback_why);
  if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
  const Tensor* b = info.const_inputs.size() > 1 ? info.const_inputs[1] : nullptr;
  memory packed;
  int64_t k = 0, n = 0;
  if (b && b->rank() == 2 && b->dtype() == DType::kFloat32 && b->numel() > 0) {
    packed = PackBf16Weights(*b);
    k = b->dim(0);
    n = b->dim(1);
  }
  return std::make_unique<Bf16MatMulKernel>(std::move(fallback), std::move(packed), k, n);
}

}  // namespace

void AddOnednnBf16Kernels(rt::OpRegistry& r) {
  r.AddFastKernel("", "MatMul", {"onednn.matmul_bf16", MakeBf16MatMul});
}

}  // namespace samq::backends::onednn
