// fast.MaxPool: float32 NCHW 2-D max pooling without padding, dilation, ceil mode or the Indices
// output (Hiera's q_pool is 2x2 stride 2). Planes (n, c) are spread over the threads; each output
// row takes the max of kh input rows, so the inner loop walks contiguous memory when stride = 1
// and stays a short strided loop otherwise. Anything else declines to ref.MaxPool.
#include <algorithm>

#include "backends/cpu/fast_kernels.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

class MaxPool2d : public rt::Kernel {
 public:
  MaxPool2d(int64_t kh, int64_t kw, int64_t sh, int64_t sw) : kh_(kh), kw_(kw), sh_(sh), sw_(sw) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output_for_overwrite(0);
    const int64_t planes = x.dim(0) * x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t OH = y.dim(2), OW = y.dim(3);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    parallel_for(planes, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        const float* in = px + p * H * W;
        float* out = py + p * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          float* orow = out + oh * OW;
          for (int64_t ki = 0; ki < kh_; ++ki) {
            const float* irow = in + (oh * sh_ + ki) * W;
            for (int64_t ow = 0; ow < OW; ++ow) {
              const float* win = irow + ow * sw_;
              float m = win[0];
              for (int64_t kj = 1; kj < kw_; ++kj) m = std::max(m, win[kj]);
              orow[ow] = ki == 0 ? m : std::max(orow[ow], m);
            }
          }
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t kh_, kw_, sh_, sw_;
};

std::unique_ptr<rt::Kernel> MakeMaxPool(const rt::KernelBuildInfo& info, std::string* why) {
  const ir::Node& n = info.node;
  const auto& t = info.input_types[0];
  auto decline = [&](const char* reason) -> std::unique_ptr<rt::Kernel> {
    *why = reason;
    return nullptr;
  };
  if (t.dtype != DType::kFloat32) return decline("input is not float32");
  if (!t.rank_known || t.dims.size() != 4) return decline("not a 4-D (NCHW) input");
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) return decline("Indices output is used");
  const auto k = n.attr_ints("kernel_shape");
  if (k.size() != 2) return decline("kernel_shape is not 2-D");
  auto s = n.attr_ints("strides");
  if (s.empty()) s = {1, 1};
  for (int64_t v : n.attr_ints("pads"))
    if (v != 0) return decline("padding");
  for (int64_t v : n.attr_ints("dilations"))
    if (v != 1) return decline("dilation");
  if (n.attr_int("ceil_mode", 0) != 0) return decline("ceil_mode");
  const std::string pad = n.attr_string("auto_pad", "NOTSET");
  if (pad != "NOTSET" && pad != "VALID") return decline("auto_pad SAME_*");
  if (k[0] < 1 || k[1] < 1 || s.size() != 2 || s[0] < 1 || s[1] < 1) return decline("unusual kernel/strides");
  return std::make_unique<MaxPool2d>(k[0], k[1], s[0], s[1]);
}

}  // namespace

void AddFastPoolKernels(rt::OpRegistry& r) { r.AddFastKernel("", "MaxPool", {"fast.MaxPool", MakeMaxPool}); }

}  // namespace samq::backends::fast
