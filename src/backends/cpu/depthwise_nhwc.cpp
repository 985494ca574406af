// com.samq DepthwiseConvNhwc(x, w, [b], [x_scale, x_zero_point]), attributes pads [top, left,
// bottom, right] and strides [sh, sw]: a 2-D depthwise convolution of a channels-last float32
// x [N, H, W, C] with w [C, 1, KH, KW] (float32) and bias b [C], y [N, OH, OW, C]:
//   y[n, i, j, c] = b[c] + sum over (a, e) in KH x KW, row-major, of
//                   w[c, 0, a, e] * x'[n, i * sh + a - top, j * sw + e - left, c]
// where taps outside x are skipped and x' = x, or, with x_scale / x_zero_point (u8 or s8),
// x' = DequantizeLinear(QuantizeLinear(x)): the quantized depthwise QConv of a QDQ model, whose
// weights the fusion pass dequantizes once, with ref.QConv's own formula.
//
// It replaces Transpose([B, L, C] -> [B, C, L]) -> Reshape([B, C, H, W]) -> depthwise Conv/QConv
// -> Reshape([B, C, L]) -> Transpose back, TinyViT's local conv between attention and MLP in every
// MobileSAM block (passes/fuse_channels_last_depthwise.h): in this layout each tap is a
// contiguous run of C channels, so the stencil vectorizes over channels and neither transposed
// copy is written.
//
// Arithmetic: ref.DepthwiseConvNhwc sums in double from the bias, taps in row-major order, as
// ref.Conv does, so the two agree exactly. fast.DepthwiseConvNhwc accumulates in float32, one
// fused multiply-add per tap from the bias in the same order, as fast.DepthwiseConv (NCHW) does,
// so it computes the same bits as the unfused graph on the fast kernels (the tests check both).
#include "backends/cpu/depthwise_nhwc.h"

#include <algorithm>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "core/parallel.h"
#include "core/quantize_math.h"

namespace samq::backends::cpu {
namespace {

constexpr int kX = 0, kW = 1, kB = 2, kScale = 3, kZeroPoint = 4;

struct Geometry {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, top = 0, left = 0, bottom = 0, right = 0;
};

Result<Geometry> ReadGeometry(const ir::Node& n) {
  Geometry g;
  auto s = n.attr_ints("strides");
  auto p = n.attr_ints("pads");
  if (s.empty()) s = {1, 1};
  if (p.empty()) p = {0, 0, 0, 0};
  if (s.size() != 2 || s[0] < 1 || s[1] < 1) return Status::User(n.describe() + ": strides must be two positive ints");
  if (p.size() != 4 || *std::min_element(p.begin(), p.end()) < 0)
    return Status::User(n.describe() + ": pads must be four non-negative ints");
  g.sh = s[0];
  g.sw = s[1];
  g.top = p[0];
  g.left = p[1];
  g.bottom = p[2];
  g.right = p[3];
  return g;
}

int64_t OutDim(int64_t in, int64_t pad, int64_t k, int64_t s) { return (in + pad - k) / s + 1; }

Status InferDepthwiseConvNhwc(rt::InferContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(Geometry g, ReadGeometry(ctx.node()));
  const auto& x = ctx.input_type(kX);
  const auto& w = ctx.input_type(kW);
  for (int i : {kX, kW, kB, kScale})
    if (ctx.has_input(i) && ctx.input_type(i).dtype != DType::kUndefined &&
        ctx.input_type(i).dtype != DType::kFloat32)
      return ctx.Error("input {} has type {}; supported: float32", i, dtype_name(ctx.input_type(i).dtype));
  if (ctx.has_input(kScale) != ctx.has_input(kZeroPoint))
    return ctx.Error("x_scale and x_zero_point come together");
  if (ctx.has_input(kZeroPoint)) {
    const DType z = ctx.input_type(kZeroPoint).dtype;
    if (z != DType::kUndefined && z != DType::kUInt8 && z != DType::kInt8)
      return ctx.Error("x_zero_point has type {}; supported: uint8, int8", dtype_name(z));
  }
  if (!x.rank_known || !w.rank_known) {
    ctx.set_output_unknown_rank(0, DType::kFloat32);
    return Status::Ok();
  }
  if (x.rank() != 4) return ctx.Error("x must be 4-D [N, H, W, C], got rank {}", x.rank());
  if (w.rank() != 4 || w.dims[1] != 1) return ctx.Error("w must be [C, 1, KH, KW], got {}", shape_str(w.dims));
  if (x.dims[3] >= 0 && w.dims[0] >= 0 && x.dims[3] != w.dims[0])
    return ctx.Error("x {} has {} channels, w {} has {}", shape_str(x.dims), x.dims[3], shape_str(w.dims), w.dims[0]);
  Shape out = x.dims;
  const int64_t pad[2] = {g.top + g.bottom, g.left + g.right}, s[2] = {g.sh, g.sw};
  for (int i = 0; i < 2; ++i) {
    const int64_t d = x.dims[1 + i], k = w.dims[2 + i];
    if (d < 0 || k < 0) {
      out[1 + i] = -1;
      continue;
    }
    if (d + pad[i] < k) return ctx.Error("padded x {} is smaller than the kernel {}", shape_str(x.dims), shape_str(w.dims));
    out[1 + i] = OutDim(d, pad[i], k, s[i]);
  }
  ctx.set_output(0, DType::kFloat32, out);
  return Status::Ok();
}

// What both kernels read, checked the same way.
struct Problem {
  Geometry g;
  int64_t n = 0, h = 0, w = 0, c = 0, oh = 0, ow = 0;
  bool quant = false;
  float scale = 1, zp = 0, lo = 0, hi = 255;
};

Result<Problem> GetProblem(rt::KernelContext& ctx) {
  Problem p;
  SAMQ_ASSIGN_OR_RETURN(p.g, ReadGeometry(ctx.node()));
  const Tensor& x = ctx.input(kX);
  const Tensor& w = ctx.input(kW);
  if (x.dtype() != DType::kFloat32 || x.rank() != 4) return ctx.Error("x must be a float32 [N, H, W, C] tensor");
  if (w.dtype() != DType::kFloat32 || w.rank() != 4 || w.dim(0) != x.dim(3) || w.dim(1) != 1)
    return ctx.Error("w {} must be float32 [C, 1, KH, KW] with C = {}", shape_str(w.shape()), x.dim(3));
  if (ctx.has_input(kB) && (ctx.input(kB).dtype() != DType::kFloat32 || ctx.input(kB).numel() != x.dim(3)))
    return ctx.Error("b must hold {} float32 values", x.dim(3));
  p.g.kh = w.dim(2);
  p.g.kw = w.dim(3);
  p.n = x.dim(0);
  p.h = x.dim(1);
  p.w = x.dim(2);
  p.c = x.dim(3);
  p.oh = OutDim(p.h, p.g.top + p.g.bottom, p.g.kh, p.g.sh);
  p.ow = OutDim(p.w, p.g.left + p.g.right, p.g.kw, p.g.sw);
  if (p.oh < 0 || p.ow < 0) return ctx.Error("padded x is smaller than the kernel");
  p.quant = ctx.has_input(kScale);
  if (p.quant) {
    const Tensor& s = ctx.input(kScale);
    const Tensor& z = ctx.input(kZeroPoint);
    if (s.numel() != 1 || z.numel() != 1 || (z.dtype() != DType::kUInt8 && z.dtype() != DType::kInt8))
      return ctx.Error("x_scale and x_zero_point must be a float32 and an 8-bit scalar");
    const bool u8 = z.dtype() == DType::kUInt8;
    p.scale = s.data<float>()[0];
    p.zp = u8 ? z.data<uint8_t>()[0] : z.data<int8_t>()[0];
    p.lo = u8 ? 0.f : -128.f;
    p.hi = u8 ? 255.f : 127.f;
  }
  return p;
}

// Valid tap range [a0, a1) of output index o along one dim (taps outside the input are skipped).
void TapRange(int64_t o, int64_t s, int64_t pad, int64_t k, int64_t in, int64_t* a0, int64_t* a1) {
  const int64_t first = o * s - pad;
  *a0 = std::max<int64_t>(0, -first);
  *a1 = std::min<int64_t>(k, in - first);
}

// The oracle: the definition's loops, in double, as ref.Conv sums them.
Status RefDepthwiseConvNhwc(rt::KernelContext& ctx) {
  SAMQ_ASSIGN_OR_RETURN(const Problem p, GetProblem(ctx));
  const Geometry& g = p.g;
  const float* px = ctx.input(kX).data<float>();
  const float* pw = ctx.input(kW).data<float>();
  const float* pb = ctx.has_input(kB) ? ctx.input(kB).data<float>() : nullptr;
  float* py = ctx.output(0).data<float>();
  auto value = [&](int64_t i) {
    return p.quant ? (QuantizeToFloat(px[i], p.scale, p.zp, p.lo, p.hi) - p.zp) * p.scale : px[i];
  };
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t i = 0; i < p.oh; ++i)
      for (int64_t j = 0; j < p.ow; ++j)
        for (int64_t c = 0; c < p.c; ++c) {
          double acc = pb ? pb[c] : 0.0;
          int64_t a0, a1, e0, e1;
          TapRange(i, g.sh, g.top, g.kh, p.h, &a0, &a1);
          TapRange(j, g.sw, g.left, g.kw, p.w, &e0, &e1);
          for (int64_t a = a0; a < a1; ++a)
            for (int64_t e = e0; e < e1; ++e)
              acc += static_cast<double>(pw[(c * g.kh + a) * g.kw + e]) *
                     static_cast<double>(value(((n * p.h + i * g.sh + a - g.top) * p.w + j * g.sw + e - g.left) * p.c + c));
          py[((n * p.oh + i) * p.ow + j) * p.c + c] = static_cast<float>(acc);
        }
  return Status::Ok();
}

// (clamp(rint(x / s) + zp) - zp) * s: QuantizeLinear then DequantizeLinear, as ref.QConv.
SAMQ_CLONES void QuantDequantRow(const float* x, int64_t n, float s, float zp, float lo, float hi, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = (QuantizeToFloat(x[i], s, zp, lo, hi) - zp) * s;
}

// 16 floats, unaligned: one zmm register in the AVX-512 clone (as gemm_tile.cpp's).
typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));

// y[j, :] for one output column j whose window has every tap inside x (all rows[a] set):
// KH x KW known at compile time, so the taps unroll.
template <int KH, int KW>
__attribute__((always_inline)) inline void InteriorColumn(const float* const* rows, const float* wt,
                                                          const float* bias, int64_t c, int64_t col, float* out) {
  for (int64_t ch = 0; ch + 16 <= c; ch += 16) {
    V16 acc = *reinterpret_cast<const V16*>(bias + ch);
#pragma GCC unroll 7
    for (int a = 0; a < KH; ++a)
#pragma GCC unroll 7
      for (int e = 0; e < KW; ++e)
        acc += *reinterpret_cast<const V16*>(wt + (a * KW + e) * c + ch) *
               *reinterpret_cast<const V16*>(rows[a] + (col + e) * c + ch);
    *reinterpret_cast<V16*>(out + ch) = acc;
  }
}

// One output row y[n, i, :, :]. rows[a] is input row i * sh + a - top (null outside x); wt holds
// the weights tap-major [KH * KW][C], bias [C]. One multiply-add per tap from the bias, in
// row-major tap order, written as fast.DepthwiseConv writes it (the compiler contracts both into
// the same FMAs where the ISA has them). Channels go 16 at a time in a register across all taps;
// the columns whose windows lie inside x (all of them but the borders) take an unrolled 3x3 path.
SAMQ_CLONES void OutputRow(const float* const* rows, const float* wt, const float* bias, const Problem& p, float* y) {
  const Geometry& g = p.g;
  const int64_t c = p.c, c16 = c / 16 * 16;
  bool all_rows = true;
  for (int64_t a = 0; a < g.kh; ++a) all_rows = all_rows && rows[a] != nullptr;
  const bool fast3x3 = all_rows && g.kh == 3 && g.kw == 3 && c16 == c;
  for (int64_t j = 0; j < p.ow; ++j) {
    float* out = y + j * c;
    int64_t e0, e1;
    TapRange(j, g.sw, g.left, g.kw, p.w, &e0, &e1);
    const int64_t col = j * g.sw - g.left;
    if (fast3x3 && e0 == 0 && e1 == 3) {
      InteriorColumn<3, 3>(rows, wt, bias, c, col, out);
      continue;
    }
    for (int64_t ch = 0; ch < c16; ch += 16) {
      V16 acc = *reinterpret_cast<const V16*>(bias + ch);
      for (int64_t a = 0; a < g.kh; ++a) {
        if (!rows[a]) continue;
        for (int64_t e = e0; e < e1; ++e)
          acc += *reinterpret_cast<const V16*>(wt + (a * g.kw + e) * c + ch) *
                 *reinterpret_cast<const V16*>(rows[a] + (col + e) * c + ch);
      }
      *reinterpret_cast<V16*>(out + ch) = acc;
    }
    for (int64_t ch = c16; ch < c; ++ch) {
      float acc = bias[ch];
      for (int64_t a = 0; a < g.kh; ++a) {
        if (!rows[a]) continue;
        for (int64_t e = e0; e < e1; ++e) acc += wt[(a * g.kw + e) * c + ch] * rows[a][(col + e) * c + ch];
      }
      out[ch] = acc;
    }
  }
}

class FastDepthwiseConvNhwc final : public rt::Kernel {
 public:
  FastDepthwiseConvNhwc(std::vector<float> wt, std::vector<float> bias, const Tensor* w)
      : wt_(std::move(wt)), bias_(std::move(bias)), w_(w ? *w : Tensor()) {}

  Status Run(rt::KernelContext& ctx) override {
    SAMQ_ASSIGN_OR_RETURN(const Problem p, GetProblem(ctx));
    // Weights overridden at run time (initializers fed as inputs): the reference kernel.
    if (ctx.input(kW).raw() != w_.raw() || static_cast<int64_t>(bias_.size()) != p.c ||
        static_cast<int64_t>(wt_.size()) != p.g.kh * p.g.kw * p.c)
      return RefDepthwiseConvNhwc(ctx);
    Tensor& y = ctx.output_for_overwrite(0);
    if (y.numel() == 0) return Status::Ok();
    const Geometry& g = p.g;
    const float* px = ctx.input(kX).data<float>();
    float* py = y.data<float>();
    const int64_t row = p.w * p.c;
    // Bands of output rows; a quantized input's rows are quantize-dequantized per band into the
    // thread's buffer (the rows a band's windows cover, recomputed at band borders), so the
    // quantized x is never written as a whole tensor.
    // Bands whose quantized input rows (with the halo) stay near 768 KB, in L2; at least 4 rows
    // each so the recomputed halo stays small, evened out over the image.
    const int64_t target = std::clamp<int64_t>((768 << 10) / std::max<int64_t>(row * 4, 1) - g.kh, 4, 32);
    const int64_t bands = (p.oh + target - 1) / target, band = (p.oh + bands - 1) / bands;
    parallel_for(p.n * bands, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> buf;
      std::vector<const float*> rows(static_cast<size_t>(g.kh));
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t n = t / bands, o0 = (t % bands) * band, o1 = std::min(p.oh, o0 + band);
        const int64_t lo = std::max<int64_t>(0, o0 * g.sh - g.top);
        const int64_t hi = std::min<int64_t>(p.h, (o1 - 1) * g.sh - g.top + g.kh);
        const float* base = px + n * p.h * row;
        if (p.quant && hi > lo) {
          buf.resize(static_cast<size_t>((hi - lo) * row));
          QuantDequantRow(base + lo * row, (hi - lo) * row, p.scale, p.zp, p.lo, p.hi, buf.data());
        }
        for (int64_t i = o0; i < o1; ++i) {
          for (int64_t a = 0; a < g.kh; ++a) {
            const int64_t ih = i * g.sh + a - g.top;
            rows[a] = ih < 0 || ih >= p.h ? nullptr : p.quant ? buf.data() + (ih - lo) * row : base + ih * row;
          }
          OutputRow(rows.data(), wt_.data(), bias_.data(), p, py + (n * p.oh + i) * p.ow * p.c);
        }
      }
    });
    return Status::Ok();
  }

 private:
  std::vector<float> wt_, bias_;  // weights tap-major [KH * KW][C]; bias (zeros if none)
  Tensor w_;                      // the node's weights, to notice them overridden at run time
};

// The fast kernel wants constant weights (and bias), transposed once to tap-major.
std::unique_ptr<rt::Kernel> MakeFast(const rt::KernelBuildInfo& info, std::string* why, bool quant) {
  auto decline = [why](const char* reason) -> std::unique_ptr<rt::Kernel> {
    *why = reason;
    return nullptr;
  };
  if (info.node.has_input(kScale) != quant) return decline(quant ? "x is not quantized" : "x is quantized");
  if (!ReadGeometry(info.node).ok()) return decline("invalid pads or strides");
  const auto c = [&](int i) -> const Tensor* {
    return i < static_cast<int>(info.const_inputs.size()) ? info.const_inputs[i] : nullptr;
  };
  const Tensor* w = c(kW);
  if (!w || w->dtype() != DType::kFloat32 || w->rank() != 4 || w->dim(1) != 1) return decline("weights are not constant float32 [C, 1, KH, KW]");
  const Tensor* b = info.node.has_input(kB) ? c(kB) : nullptr;
  if (info.node.has_input(kB) && (!b || b->dtype() != DType::kFloat32 || b->numel() != w->dim(0)))
    return decline("bias is not a constant float32 [C]");
  const int64_t ch = w->dim(0), taps = w->dim(2) * w->dim(3);
  std::vector<float> wt(static_cast<size_t>(taps * ch));
  for (int64_t k = 0; k < ch; ++k)
    for (int64_t t = 0; t < taps; ++t) wt[t * ch + k] = w->data<float>()[k * taps + t];
  std::vector<float> bias = b ? std::vector<float>(b->data<float>(), b->data<float>() + ch)
                              : std::vector<float>(static_cast<size_t>(ch), 0.f);
  return std::make_unique<FastDepthwiseConvNhwc>(std::move(wt), std::move(bias), w);
}

}  // namespace

void AddDepthwiseConvNhwcOp(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "DepthwiseConvNhwc";
  s.domain = "com.samq";
  s.min_inputs = 2;
  s.max_inputs = 5;
  s.infer = InferDepthwiseConvNhwc;
  s.kernels.push_back({"fast.DepthwiseConvNhwc", [](const rt::KernelBuildInfo& info, std::string* why) {
                         return MakeFast(info, why, false);
                       }});
  // The quantized form keeps its own name, so the per-node report says what ran.
  s.kernels.push_back({"fast.qdepthwise_nhwc_x8_qdq_f32", [](const rt::KernelBuildInfo& info, std::string* why) {
                         return MakeFast(info, why, true);
                       }});
  s.kernels.push_back(rt::MakeStatelessKernel("ref.DepthwiseConvNhwc", RefDepthwiseConvNhwc));
  r.Register(std::move(s));
}

}  // namespace samq::backends::cpu
