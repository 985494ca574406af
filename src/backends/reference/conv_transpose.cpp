// ConvTranspose (N-d, group, strides, dilations, pads / auto_pad, output_padding, output_shape).
//
// Input position i and kernel tap t feed output position i * stride + t * dilation - pad_begin.
// The reference kernel computes one output channel plane at a time (so planes can run in
// parallel): for each input channel of its group and each tap it scatters weight * input row
// into the output positions that exist. Accumulation is in float64.
#include <algorithm>
#include <vector>

#include "backends/reference/conv_geometry.h"
#include "backends/reference/dtype_visit.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

Status InferConvTranspose(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  const auto& w = ctx.input_type(1);
  if (x.dtype != DType::kUndefined && w.dtype != DType::kUndefined && x.dtype != w.dtype)
    return ctx.Error("input is {} but weights are {}", dtype_name(x.dtype), dtype_name(w.dtype));
  const DType dt = x.dtype != DType::kUndefined ? x.dtype : w.dtype;
  if (!x.rank_known && !w.rank_known) {
    ctx.set_output_unknown_rank(0, dt);
    return Status::Ok();
  }
  const int64_t rank = x.rank_known ? x.rank() : w.rank();
  const Shape xd = x.rank_known ? x.dims : Shape(rank, -1);
  const Shape wd = w.rank_known ? w.dims : Shape(rank, -1);
  SAMQ_ASSIGN_OR_RETURN(ConvProblem p, MakeConvProblem(ctx.node(), xd, wd, /*transpose=*/true));
  if (ctx.has_input(2)) {
    const auto& b = ctx.input_type(2);
    if (b.rank_known && (b.rank() != 1 || (b.dims[0] >= 0 && p.out_channels >= 0 &&
                                           b.dims[0] != p.out_channels)))
      return ctx.Error("bias {} must be 1-D with {} values", b.str(), p.out_channels);
  }
  ctx.set_output(0, dt, p.out_shape);
  return Status::Ok();
}

template <typename T>
void RunConvTransposeTyped(const ConvProblem& p, const T* x, const T* w, const T* b, T* y) {
  const auto& win = p.window;
  const int sp = p.attrs.spatial;
  const int64_t in_plane = shape_numel(win.in), out_plane = shape_numel(win.out);
  const int64_t taps = shape_numel(p.attrs.kernel);
  const int64_t cg = p.in_channels / p.group, mg = p.out_channels / p.group;
  const int64_t out_last = win.out[sp - 1], in_last = win.in[sp - 1];
  const int64_t rows = in_plane / std::max<int64_t>(1, in_last);  // input rows (all but last dim)
  const int64_t s_last = p.attrs.strides[sp - 1];

  parallel_for(p.batch * p.out_channels, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> acc(out_plane);
    std::vector<int64_t> tap(sp);
    for (int64_t job = begin; job < end; ++job) {
      const int64_t n = job / p.out_channels, oc = job % p.out_channels;
      const int64_t g = oc / mg, ocg = oc % mg;
      std::fill(acc.begin(), acc.end(), b ? static_cast<double>(b[oc]) : 0.0);
      for (int64_t icg = 0; icg < cg; ++icg) {
        const int64_t ic = g * cg + icg;
        const T* xplane = x + (n * p.in_channels + ic) * in_plane;
        const T* wtaps = w + (ic * mg + ocg) * taps;  // weights are [C, M/group, k...]
        for (int64_t t = 0; t < taps; ++t) {
          for (int64_t r = t, i = sp - 1; i >= 0; --i) {
            tap[i] = r % p.attrs.kernel[i];
            r /= p.attrs.kernel[i];
          }
          const double wv = static_cast<double>(wtaps[t]);
          const int64_t off_last = tap[sp - 1] * p.attrs.dilations[sp - 1] - win.pad_begin[sp - 1];
          int64_t lo, hi;
          StridedValidRange(in_last, s_last, off_last, out_last, &lo, &hi);
          if (lo >= hi) continue;
          for (int64_t row = 0; row < rows; ++row) {
            // Output offset this input row lands on for this tap, or skip the row.
            int64_t rem = row, out_off = 0, out_stride = out_last;
            bool inside = true;
            for (int i = sp - 2; i >= 0; --i) {
              const int64_t ip = rem % win.in[i];
              rem /= win.in[i];
              const int64_t op = ip * p.attrs.strides[i] + tap[i] * p.attrs.dilations[i] - win.pad_begin[i];
              if (op < 0 || op >= win.out[i]) {
                inside = false;
                break;
              }
              out_off += op * out_stride;
              out_stride *= win.out[i];
            }
            if (!inside) continue;
            const T* xrow = xplane + row * in_last;
            double* arow = acc.data() + out_off;
            for (int64_t i = lo; i < hi; ++i)
              arow[i * s_last + off_last] += wv * static_cast<double>(xrow[i]);
          }
        }
      }
      T* yplane = y + job * out_plane;
      for (int64_t i = 0; i < out_plane; ++i) yplane[i] = static_cast<T>(acc[i]);
    }
  });
}

Status RunConvTranspose(rt::KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  SAMQ_ASSIGN_OR_RETURN(ConvProblem p, MakeConvProblem(ctx.node(), x.shape(), w.shape(), true));
  const DType dt = x.dtype();
  if (b && b->dtype() != dt)
    return ctx.Error("bias is {} but the input is {}", dtype_name(b->dtype()), dtype_name(dt));
  if (IsNarrowFloat(dt)) {
    Tensor x32 = WidenToFloat32(x), w32 = WidenToFloat32(w), b32 = b ? WidenToFloat32(*b) : Tensor();
    Tensor y32 = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    RunConvTransposeTyped<float>(p, x32.data<float>(), w32.data<float>(),
                                 b ? b32.data<float>() : nullptr, y32.data<float>());
    ctx.set_output(0, NarrowFromFloat32(y32, dt));
    return Status::Ok();
  }
  const bool handled = VisitNativeFloat(dt, [&](auto tag) {
    using T = typename decltype(tag)::type;
    RunConvTransposeTyped<T>(p, x.data<T>(), w.data<T>(), b ? b->data<T>() : nullptr,
                             ctx.output(0).data<T>());
  });
  if (!handled)
    return ctx.Error("dtype {} is not supported; supported: float32, float64, float16, bfloat16",
                     dtype_name(dt));
  return Status::Ok();
}

}  // namespace

rt::KernelCandidate RefConvTransposeCandidate() {
  return rt::MakeStatelessKernel("ref.ConvTranspose", RunConvTranspose);
}

void RegisterConvTransposeOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "ConvTranspose";
  s.min_inputs = 2;
  s.max_inputs = 3;
  s.infer = InferConvTranspose;
  s.kernels.push_back(RefConvTransposeCandidate());
  r.Register(std::move(s));
}

}  // namespace samq::backends
