// oneDNN integer kernel of com.samq QMatMul: x(float) -> QuantizeLinear (here, into a u8/s8
// scratch buffer) -> u8/s8 x s8 matmul with exact int32 accumulation -> per-column output scale
// and bias -> float32 (see onednn_int8_util.h for the arithmetic). After passes/fuse_requantize
// x may come as codes already (no quantizing pass) and the result may leave as the next
// QMatMul's codes (requantized in registers: no float32 round trip through memory).
//
// The activation's batch dims fold into M. The weight [K, N] is reordered once into the blocked
// layout (with s8 compensation where the ISA needs it) that oneDNN's brgemm kernel picks for the
// attributes; oneDNN chooses that layout from K, N and the attributes, so one packed copy serves
// every M (an M whose primitive wants another layout gets its own copy). Primitives are cached
// per M. The candidate's name carries the activation type and the ISA oneDNN picked on this
// machine ("onednn.qmatmul_u8s8_amx").
#include <unordered_map>

#include "backends/cpu/onednn_int8_util.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/cpu/qconv_kernels.h"
#include "backends/reference/samq_qops.h"

namespace samq::backends::onednn {
namespace {

using dnnl::memory;

constexpr int64_t kPackingRows = 128;

struct QMatMulEntry {
  bool fallback = false;
  dnnl::matmul prim;
  memory weights;  // the packed copy this primitive reads
  std::string impl;
};

memory::desc DstDesc(int64_t m, int64_t n, const QuantParams& p) {
  return p.requantize ? memory::desc({m, n}, ActType(p.y_u8), memory::dims{n, 1}) : DenseDesc({m, n});
}

dnnl::matmul::primitive_desc MakePd(int64_t m, int64_t k, int64_t n, const QuantParams& p) {
  const memory::desc src({m, k}, ActType(p.u8), memory::dims{k, 1});
  const memory::desc wei({k, n}, memory::data_type::s8, memory::format_tag::any);
  const memory::desc bias({1, n}, memory::data_type::f32, memory::dims{n, 1});
  const dnnl::matmul::desc d = NativeBias(p) ? dnnl::matmul::desc(src, wei, bias, DstDesc(m, n, p))
                                             : dnnl::matmul::desc(src, wei, DstDesc(m, n, p));
  return dnnl::matmul::primitive_desc(d, MakeQuantAttr(p, bias), Engine());
}

class QMatMulKernel final : public rt::Kernel {
 public:
  QMatMulKernel(std::unique_ptr<rt::Kernel> fallback, QuantParams p)
      : fallback_(std::move(fallback)), p_(std::move(p)), k_(p_.weights.dim(0)), n_(p_.weights.dim(1)),
        zp_mem_(memory::desc({1}, memory::data_type::s32, memory::dims{1}), Engine()),
        y_zp_mem_(memory::desc({1}, memory::data_type::s32, memory::dims{1}), Engine()),
        y_scale_mem_(memory::desc({1, 1}, memory::data_type::f32, memory::dims{1, 1}), Engine()) {
    *static_cast<int32_t*>(zp_mem_.get_data_handle()) = p_.x_zero_point;
    *static_cast<int32_t*>(y_zp_mem_.get_data_handle()) = p_.y_zero_point;
    *static_cast<float*>(y_scale_mem_.get_data_handle()) = p_.y_scale;
  }

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    // Overridden weights or parameters (initializers fed as inputs) take the reference path.
    const DType x_type = p_.x_codes ? ActDType(p_.u8) : DType::kFloat32;
    if (x.dtype() != x_type || x.numel() == 0 || ctx.input(3).raw() != p_.weights.raw())
      return fallback_->Run(ctx);
    const int64_t rows = x.numel() / k_;
    std::lock_guard<std::mutex> lock(cache_.mu);
    QMatMulEntry* e = cache_.Find({rows});
    if (!e) e = cache_.Insert({rows}, MakeEntry(rows));
    if (e->fallback) return fallback_->Run(ctx);
    void* codes = const_cast<void*>(x.raw());  // oneDNN only reads its source
    if (!p_.x_codes) {
      scratch_.resize(static_cast<size_t>(rows * k_));
      QuantizeActivation(x.data<float>(), rows * k_, p_.x_scale, p_.x_zero_point, p_.u8, scratch_.data());
      codes = scratch_.data();
    }
    Tensor& y = ctx.output_for_overwrite(0);
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC, memory(memory::desc({rows, k_}, ActType(p_.u8), memory::dims{k_, 1}), Engine(), codes)},
        {DNNL_ARG_WEIGHTS, e->weights},
        {DNNL_ARG_DST, memory(DstDesc(rows, n_, p_), Engine(), y.raw())}};
    if (p_.x_zero_point != 0) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC] = zp_mem_;
    const memory::desc bias_desc({1, n_}, memory::data_type::f32, memory::dims{n_, 1});
    if (NativeBias(p_))
      args[DNNL_ARG_BIAS] = memory(bias_desc, Engine(), p_.bias_over_scale.data());
    else if (!p_.bias.empty())
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = memory(bias_desc, Engine(), p_.bias.data());
    if (p_.requantize && p_.y_column_scales.empty()) {
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(RequantDivisorPostOp(p_)) | DNNL_ARG_SRC_1] = y_scale_mem_;
      if (p_.y_zero_point != 0) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST] = y_zp_mem_;
    }
    e->prim.execute(ThreadStream(), args);
    ThreadStream().wait();
    return Status::Ok();
  }

  // Creates the shared packed weights (first call) so creation fails early if oneDNN cannot.
  bool Prepack(std::string* why) {
    try {
      auto pd = MakePd(kPackingRows, k_, n_, p_);
      packed_ = ReorderToNew(memory::desc({k_, n_}, memory::data_type::s8, memory::dims{n_, 1}),
                             p_.weights.raw(), pd.weights_desc());
      return true;
    } catch (const dnnl::error& err) {
      *why = std::string("oneDNN rejects it: ") + err.what();
      return false;
    }
  }

 private:
  std::unique_ptr<QMatMulEntry> MakeEntry(int64_t rows) {
    auto e = std::make_unique<QMatMulEntry>();
    try {
      auto pd = MakePd(rows, k_, n_, p_);
      e->prim = dnnl::matmul(pd);
      e->impl = pd.impl_info_str();
      e->weights = pd.weights_desc() == packed_.get_desc()
                       ? packed_
                       : ReorderToNew(memory::desc({k_, n_}, memory::data_type::s8, memory::dims{n_, 1}),
                                      p_.weights.raw(), pd.weights_desc());
    } catch (const dnnl::error&) {
      e->fallback = true;
    }
    return e;
  }

  std::unique_ptr<rt::Kernel> fallback_;
  QuantParams p_;
  int64_t k_, n_;
  memory zp_mem_, y_zp_mem_, y_scale_mem_;
  memory packed_;
  std::vector<uint8_t> scratch_;  // the quantized activation (uint8 or int8 bytes)
  ShapeCache<QMatMulEntry> cache_;
};

// What oneDNN picks for a typical SAM layer on this machine, for the candidate's name.
std::string ProbeIsa(bool u8) {
  try {
    QuantParams p;
    p.u8 = u8;
    p.x_zero_point = 3;
    p.out_scales.assign(256, 0.5f);
    p.bias.assign(256, 0.f);
    PrescaleBias(&p);
    return IsaTag(MakePd(256, 256, 256, p).impl_info_str());
  } catch (const dnnl::error&) {
    return "unavailable";
  }
}

// `gelu`: the candidate of com.samq QMatMulGelu (qconv_kernels.h), GELU as a oneDNN post-op.
rt::KernelCandidate Candidate(bool u8, bool gelu = false) {
  const std::string name =
      std::string("onednn.qmatmul_") + (u8 ? "u8s8_" : "s8s8_") + ProbeIsa(u8) + (gelu ? "_gelu" : "");
  return {name, [u8, gelu](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            QuantParams p;
            if (!ReadQuantParams(info, 1, u8, &p, why, /*codes_ok=*/true)) return nullptr;
            p.gelu = gelu;
            if (p.weights.rank() != 2) return Decline(why, "weights are not 2-D");
            if (gelu && !p.y_column_scales.empty()) return Decline(why, "per-column output quantization after GELU");
            std::string fallback_why;
            auto fallback = (gelu ? RefQMatMulGeluCandidate() : RefQMatMulCandidate()).make(info, &fallback_why);
            if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
            auto k = std::make_unique<QMatMulKernel>(std::move(fallback), std::move(p));
            if (!k->Prepack(why)) return nullptr;
            return k;
          }};
}

}  // namespace

rt::KernelCandidate OnednnQMatMulGeluCandidate(bool u8) { return Candidate(u8, true); }

void AddOnednnInt8MatMulKernels(rt::OpRegistry& r) {
  r.AddFastKernel("com.samq", "QMatMul", Candidate(false));
  r.AddFastKernel("com.samq", "QMatMul", Candidate(true));
}

}  // namespace samq::backends::onednn
