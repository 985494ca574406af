// fast.Expand and fast.Concat for the cases where the op changes nothing: an Expand whose target
// adds no elements (only leading 1s, or the input's own dims) and a Concat of a single input
// return a view of the input's buffer instead of a copy. SAM's decoder export has both on every
// run (repeat_interleave of the image embedding for one prompt: Unsqueeze -> Expand to the same
// size -> Reshape -> Concat of one input), each a 4 MB copy. Every other case runs the reference
// kernel. A view is safe to hand out: buffers are reference-counted, so the input's buffer is
// neither returned to the pool nor reused in place while the view lives (runtime/inplace.h).
#include "backends/cpu/fast_kernels.h"

namespace samq::backends::fast {
namespace {

class ViewOrFallback final : public rt::Kernel {
 public:
  ViewOrFallback(std::unique_ptr<rt::Kernel> fallback, bool concat)
      : fallback_(std::move(fallback)), concat_(concat) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Shape& out = ctx.output_type(0).dims;
    const bool identity = concat_ ? ctx.num_inputs() == 1 : shape_numel(out) == in.numel();
    if (!identity || !in.defined()) return fallback_->Run(ctx);
    ctx.set_output(0, in.Reshaped(out));
    return Status::Ok();
  }

 private:
  std::unique_ptr<rt::Kernel> fallback_;
  bool concat_;
};

// A candidate that wraps the op's reference kernel (the last registered candidate).
rt::KernelCandidate Wrap(rt::OpRegistry& r, const char* op, const char* name) {
  const rt::OpSchema* s = r.Find("", op);
  rt::KernelCandidate ref = s ? s->kernels.back() : rt::KernelCandidate{};
  const bool concat = std::string(op) == "Concat";
  return {name, [ref, concat](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
            if (!ref.make) {
              *why = "no reference kernel to fall back on";
              return nullptr;
            }
            auto fallback = ref.make(info, why);
            if (!fallback) return nullptr;
            return std::make_unique<ViewOrFallback>(std::move(fallback), concat);
          }};
}

}  // namespace

void AddFastIdentityViewKernels(rt::OpRegistry& r) {
  r.AddFastKernel("", "Expand", Wrap(r, "Expand", "fast.Expand"));
  r.AddFastKernel("", "Concat", Wrap(r, "Concat", "fast.Concat"));
}

}  // namespace samq::backends::fast
