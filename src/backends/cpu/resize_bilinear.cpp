// cpu.resize_linear_f32: float32 bilinear Resize over the last two axes, fast and multi-threaded.
//
// SAM-1's official decoder ends with two Resizes (256² -> 1024², then the un-padded crop -> the
// original image size, e.g. 1200x1800): with 4 mask planes that is ~13 M outputs per prompt, the
// largest part of a decoder call. The reference kernel resamples one axis of the whole tensor at a
// time (an intermediate tensor, one scalar multiply-add loop per tap); this one produces output
// row by row: each output row is a 2-tap blend of two rows (vectorizable) combined with a 2-tap
// gather along the row, all inside one parallel loop over (plane, row).
//
// Same numerics as ref.Resize, bit for bit: the taps and weights are built by the reference rule
// (Pillow-style filter with support 1, clamped at the edges, normalized), each 1-D pass computes
// 0 + w0*a + w1*b in that order, and the two axes are applied in the reference's order (the axis
// with the smaller out/in ratio first). Anything else — other modes, antialiased shrinking,
// tf_crop_and_resize, more than two taps, resized leading axes, other dtypes — runs the
// reference interpolation.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/resize_bilinear.h"
#include "backends/cpu/resize_taps.h"
#include "backends/reference/resize_impl.h"
#include "core/parallel.h"

namespace samq::backends::cpu {
namespace {

// dst[k] = 0 + w0 * a[k] (+ w1 * b[k]): the reference's accumulation order.
inline void BlendRows(const float* a, const float* b, float w0, float w1, bool two, int64_t n, float* dst) {
  if (two) {
    for (int64_t k = 0; k < n; ++k) dst[k] = w0 * a[k] + w1 * b[k];
  } else {
    for (int64_t k = 0; k < n; ++k) dst[k] = w0 * a[k];
  }
}

inline void GatherRow(const float* src, const TwoTapAxis& f, int64_t n, float* dst) {
  for (int64_t x = 0; x < n; ++x) {
    const float* p = src + f.lo[x];
    dst[x] = f.two[x] ? f.w0[x] * p[0] + f.w1[x] * p[1] : f.w0[x] * p[0];
  }
}

void ResizePlanes(const float* in, int64_t planes, int64_t ih, int64_t iw, const TwoTapAxis& fy,
                  const TwoTapAxis& fx, int64_t oh, int64_t ow, bool rows_first, float* out) {
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(ow, 1));
  parallel_for(planes * oh, grain, [&](int64_t begin, int64_t end) {
    if (rows_first) {
      // Vertical blend into one input-width row, then the horizontal gather.
      std::vector<float> tmp(iw + 1);
      for (int64_t job = begin; job < end; ++job) {
        const int64_t p = job / oh, y = job % oh;
        const float* base = in + (p * ih + fy.lo[y]) * iw;
        BlendRows(base, base + iw, fy.w0[y], fy.w1[y], fy.two[y], iw, tmp.data());
        GatherRow(tmp.data(), fx, ow, out + job * ow);
      }
      return;
    }
    // Horizontal gather of each needed input row (kept for the next output rows, which mostly
    // read the same two when upsampling), then the vertical blend.
    std::vector<float> cache[2] = {std::vector<float>(ow), std::vector<float>(ow)};
    int64_t cached[2] = {-1, -1};  // global input row index (plane * ih + row) held by each slot
    auto row = [&](int64_t r) -> const float* {
      for (int s = 0; s < 2; ++s)
        if (cached[s] == r) return cache[s].data();
      // Evict the slot that does not hold r - 1 (rows are visited in increasing order).
      const int s = cached[0] == r - 1 ? 1 : 0;
      GatherRow(in + r * iw, fx, ow, cache[s].data());
      cached[s] = r;
      return cache[s].data();
    };
    for (int64_t job = begin; job < end; ++job) {
      const int64_t p = job / oh, y = job % oh;
      const int64_t r0 = p * ih + fy.lo[y];
      const float* a = row(r0);
      const float* b = fy.two[y] ? row(r0 + 1) : a;  // keeps r0's slot (evicts the other)
      BlendRows(a, b, fy.w0[y], fy.w1[y], fy.two[y], ow, out + job * ow);
    }
  });
}

class FastResizeKernel final : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    SAMQ_ASSIGN_OR_RETURN(ResizeAttrs a, ReadResizeAttrs(ctx.node(), ctx.opset()));
    const ResizeInputs slots = ResizeInputSlots(ctx.opset());
    auto optional = [&](int i) -> const Tensor* {
      if (i < 0 || !ctx.has_input(i) || ctx.input(i).numel() == 0) return nullptr;
      return &ctx.input(i);
    };
    SAMQ_ASSIGN_OR_RETURN(auto g, ComputeResizeGeometry(ctx.node(), a, in.shape(), optional(slots.roi),
                                                        optional(slots.scales), optional(slots.sizes)));
    Tensor& out = ctx.output(0);
    if (out.shape() != g.out)
      return Status::InternalF("{}: output shape {} differs from the geometry {}", ctx.node().describe(),
                               shape_str(out.shape()), shape_str(g.out));
    if (out.numel() == 0) return Status::Ok();
    if (!TryFast(a, g, in, out)) return ResizeFilterKernel(ctx.node(), a, g, in, out);
    return Status::Ok();
  }

 private:
  static bool TryFast(const ResizeAttrs& a, const ResizeGeometry& g, const Tensor& in, Tensor& out) {
    auto plan = PlanTwoTapResize(a, g, in.dtype(), in.shape());
    if (!plan) return false;
    ResizePlanes(in.data<float>(), in.numel() / (plan->in_h * plan->in_w), plan->in_h, plan->in_w, plan->fy,
                 plan->fx, plan->out_h, plan->out_w, plan->rows_first, out.data<float>());
    return true;
  }
};

std::unique_ptr<rt::Kernel> MakeFastResize(const rt::KernelBuildInfo& info, std::string* why) {
  const auto& t = info.input_types[0];
  if (t.dtype != DType::kFloat32) {
    *why = "float32 only";
    return nullptr;
  }
  auto attrs = ReadResizeAttrs(info.node, info.opset);
  if (!attrs.ok() || attrs->mode != ResizeMode::kLinear) {
    *why = "mode is not linear";
    return nullptr;
  }
  if (attrs->coord == ResizeCoord::kTfCropAndResize) {
    *why = "tf_crop_and_resize";
    return nullptr;
  }
  return std::make_unique<FastResizeKernel>();
}

}  // namespace

void AddFastResizeKernel(rt::OpRegistry& r) {
  r.AddFastKernel("", "Resize", {"cpu.resize_linear_f32", MakeFastResize});
}

}  // namespace samq::backends::cpu
