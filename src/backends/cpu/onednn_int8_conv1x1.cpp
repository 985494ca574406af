// Integer kernel of com.samq QConv for pointwise convolutions (1x1 kernel, stride 1, no padding,
// one group) that stays in the graph's NCHW layout.
//
// Why: oneDNN's integer convolutions run NHWC only, so the general QConv kernel quantizes into a
// strided NHWC copy and reorders its float NHWC output back to NCHW — two extra full passes over
// tensors of up to 64 MB on MobileSAM's stage-0 MBConv blocks. A 1x1 convolution is a matrix
// product per image, Y[M, HW] = W[M, C] * X[C, HW], which already is NCHW on both sides. oneDNN's
// integer GEMM wants the activation as the int8 B operand, so the activation is quantized
// (QuantizeLinear, round half to even, saturating) and shifted to int8: for uint8,
// q - 128 with zero point zp - 128, which keeps q - zp exact. The zero-point term
// -zp' * sum_c W[m, c] is a per-row integer offset computed once, so the int32 accumulator equals
// sum_c W[m, c] * (q[c, p] - zp) exactly, as in the oneDNN convolution path.
//
// Work is split into column blocks of each image small enough for the core's L2: quantize the
// block, GEMM it into the output buffer (as int32), then scale it in place to float
// (s_x * s_w[m] * acc + b[m], the same float operations as the oneDNN convolution's output scale
// and bias post-op) while it is still in cache. So the activation is read once and the output
// written once.
//
// The int8 GEMM only accumulates exactly (no 16-bit intermediate saturation) with VNNI, so the
// candidate declines on other CPUs and the general QConv kernel takes over.
#include <algorithm>
#include <cstring>

#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/onednn_int8_util.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/onednn_util.h"
#include "backends/cpu/qconv_kernels.h"
#include "backends/reference/samq_qops.h"
#include "core/parallel.h"
#include "core/quantize_math.h"

namespace samq::backends::onednn {
namespace {

// Bytes of one column block's working set (int8 activation + int32 output) aimed at L2.
constexpr int64_t kBlockBytes = 512 * 1024;

// Built for AVX-512 too (picked at load time): same IEEE arithmetic, identical bits.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define SAMQ_CONV1X1_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define SAMQ_CONV1X1_CLONES
#endif

// QuantizeLinear of n floats, minus `shift` (128 turns uint8 codes into int8 ones).
SAMQ_CONV1X1_CLONES void QuantizeShifted(const float* x, int64_t n, float s, float zp, float lo, float hi,
                                         float shift, int8_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(QuantizeToFloat(x[i], s, zp, lo, hi) - shift);
}

// In place: the int32 accumulator row becomes float scale * acc + bias.
SAMQ_CONV1X1_CLONES void ScaleRow(void* row, int64_t n, float scale, float bias) {
  const int32_t* acc = static_cast<const int32_t*>(row);
  float* out = static_cast<float*>(row);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(acc[i]) * scale + bias;
}

class QConv1x1Kernel final : public rt::Kernel {
 public:
  QConv1x1Kernel(std::unique_ptr<rt::Kernel> fallback, QuantParams p, bool gelu)
      : fallback_(std::move(fallback)), p_(std::move(p)), gelu_(gelu), m_(p_.weights.dim(0)), c_(p_.weights.dim(1)) {
    // int8 codes: q - shift; zero point in those codes: zp - shift; the GEMM's per-row offset
    // subtracts zp' * sum_c W[m, c].
    shift_ = p_.u8 ? 128 : 0;
    const int32_t zp_shifted = p_.x_zero_point - shift_;
    const int8_t* w = p_.weights.data<int8_t>();
    row_offset_.resize(static_cast<size_t>(m_));
    for (int64_t m = 0; m < m_; ++m) {
      int32_t sum = 0;
      for (int64_t c = 0; c < c_; ++c) sum += w[m * c_ + c];
      row_offset_[m] = -zp_shifted * sum;
    }
    scales_.resize(static_cast<size_t>(m_));
    for (int64_t m = 0; m < m_; ++m) scales_[m] = p_.out_scales[p_.out_scales.size() == 1 ? 0 : m];
  }

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32 || x.rank() != 4 || x.dim(1) != c_ || x.numel() == 0 ||
        ctx.input(3).raw() != p_.weights.raw())
      return fallback_->Run(ctx);
    const int64_t images = x.dim(0), hw = x.dim(2) * x.dim(3);
    Tensor& y = ctx.output_for_overwrite(0);
    int64_t block = std::max<int64_t>(64, kBlockBytes / (c_ + 4 * m_) / 64 * 64);
    block = std::min(block, hw);
    const int64_t blocks_per_image = (hw + block - 1) / block;
    const float* xv = x.data<float>();
    char* yv = static_cast<char*>(y.raw());
    Status status = Status::Ok();
    std::mutex status_mu;
    parallel_for(images * blocks_per_image, 1, [&](int64_t b, int64_t e) {
      std::vector<int8_t> qx(static_cast<size_t>(c_ * block));
      for (int64_t t = b; t < e; ++t) {
        const int64_t img = t / blocks_per_image, p0 = (t % blocks_per_image) * block;
        const int64_t cols = std::min(block, hw - p0);
        RunBlock(xv + img * c_ * hw + p0, yv + (img * m_ * hw + p0) * 4, hw, cols, qx.data(), &status, &status_mu);
      }
    });
    return status;
  }

 private:
  void RunBlock(const float* x, char* y, int64_t hw, int64_t cols, int8_t* qx, Status* status,
                std::mutex* mu) const {
    const float lo = p_.u8 ? 0.f : -128.f, hi = p_.u8 ? 255.f : 127.f;
    for (int64_t c = 0; c < c_; ++c)
      QuantizeShifted(x + c * hw, cols, p_.x_scale, static_cast<float>(p_.x_zero_point), lo, hi,
                      static_cast<float>(shift_), qx + c * cols);
    // Row-major C[M, cols] (leading dimension hw) = W[M, C] * Q[C, cols] + row offsets.
    const dnnl::status st =
        dnnl::gemm_s8s8s32('N', 'N', 'C', m_, cols, c_, 1.f, p_.weights.data<int8_t>(), c_, 0, qx, cols, 0, 0.f,
                           reinterpret_cast<int32_t*>(y), hw, row_offset_.data());
    if (st != dnnl::status::success) {
      std::lock_guard<std::mutex> lock(*mu);
      *status = Status::Internal("oneDNN gemm_s8s8s32 failed");
      return;
    }
    for (int64_t m = 0; m < m_; ++m) {
      ScaleRow(y + m * hw * 4, cols, scales_[m], p_.bias.empty() ? 0.f : p_.bias[m]);
      if (gelu_) GeluErfInPlace(reinterpret_cast<float*>(y + m * hw * 4), cols);
    }
  }

  std::unique_ptr<rt::Kernel> fallback_;
  QuantParams p_;
  bool gelu_;
  int64_t m_, c_;
  int32_t shift_ = 0;
  std::vector<int32_t> row_offset_;
  std::vector<float> scales_;
};

// Only the pointwise shape: 1x1 weights, one group, unit strides, zero padding.
bool IsPointwise(const ir::Node& n, const Tensor& w, std::string* why) {
  if (w.rank() != 4 || w.dim(2) != 1 || w.dim(3) != 1) return *why = "kernel is not 1x1", false;
  if (n.attr_int("group", 1) != 1) return *why = "grouped convolution", false;
  for (int64_t s : n.attr_ints("strides"))
    if (s != 1) return *why = "stride is not 1", false;
  for (int64_t p : n.attr_ints("pads"))
    if (p != 0) return *why = "padded", false;
  return true;
}

}  // namespace
}  // namespace samq::backends::onednn

namespace samq::backends {

rt::KernelCandidate QConv1x1NchwCandidate(bool gelu) {
  using namespace onednn;
  return {gelu ? "onednn.qconv1x1_nchw_x8s8_gemm_gelu" : "onednn.qconv1x1_nchw_x8s8_gemm",
          [gelu](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            if (!HasExactInt8Gemm()) return Decline(why, "CPU has no VNNI (int8 GEMM would saturate)");
            const Tensor* zp = info.const_inputs.size() > 2 ? info.const_inputs[2] : nullptr;
            if (!zp) return Decline(why, "activation zero point is not constant");
            QuantParams p;
            if (!ReadQuantParams(info, 0, zp->dtype() == DType::kUInt8, &p, why)) return nullptr;
            if (!IsPointwise(info.node, p.weights, why)) return nullptr;
            std::string fallback_why;
            auto fallback = (gelu ? RefQConvGeluCandidate() : RefQConvCandidate()).make(info, &fallback_why);
            if (!fallback) return Decline(why, "no reference fallback: " + fallback_why);
            return std::make_unique<QConv1x1Kernel>(std::move(fallback), std::move(p), gelu);
          }};
}

void onednn::AddOnednnInt8Conv1x1Kernel(rt::OpRegistry& r) {
  r.AddFastKernel("com.samq", "QConv", QConv1x1NchwCandidate(false));
}

}  // namespace samq::backends
