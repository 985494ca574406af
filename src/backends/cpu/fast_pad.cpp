// fast.Pad: mode 'constant' for every dtype, bit-identical to ref.Pad (it only moves bytes and
// writes the pad value). Other modes decline to ref.Pad.
//
// In constant mode output index i of an axis with begin pad b (negative = crop) reads input
// index i - b when that lies in [0, n), else the constant; this is ref.Pad's "crop, then pad"
// rule for this mode. Trailing axes without pads are merged into the axis before them
// (out[..., w, c] with c unpadded is out[..., w * C + c] with pads scaled by C), so SAM's window
// padding [1, 64, 64, C] -> [1, 70, 70, C] becomes 70 rows of 70*C elements: one memcpy of the
// kept 64*C and one fill of the padded 6*C per row, instead of 4900 rows of C. Rows are spread
// over the threads; large outputs are written with streaming stores (fast_copy.h).
#include <algorithm>

#include "backends/cpu/fast_copy.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/reference/shape_util.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

// Per-dim begin/end pads, read as ref.Pad reads them: input 1 (opset 11+) or attribute 'pads'
// (2-10) or 'paddings' (1), and the opset-18 'axes' input. Infer ran first with the same values
// and checked their counts and ranges.
Status ReadPads(const rt::KernelContext& ctx, int64_t rank, std::vector<int64_t>* begin, std::vector<int64_t>* end) {
  const ir::Node& node = ctx.node();
  SAMQ_ASSIGN_OR_RETURN(IntsArg pads, ReadIntsArg(ctx, 1, "pads"));
  if (!pads.present) {
    SAMQ_ASSIGN_OR_RETURN(pads, ReadIntsArg(ctx, -1, "paddings"));
  }
  SAMQ_ASSIGN_OR_RETURN(IntsArg axes, ReadIntsArg(ctx, 3, ""));
  std::vector<int64_t> ax;
  if (axes.present) {
    SAMQ_ASSIGN_OR_RETURN(ax, NormalizeAxes(node, axes.values, rank, "axes"));
  } else {
    for (int64_t i = 0; i < rank; ++i) ax.push_back(i);
  }
  const size_t n = ax.size();
  if (pads.values.size() != 2 * n)
    return NodeError(node, "pads has {} values; expected 2 x {}", pads.values.size(), n);
  begin->assign(rank, 0);
  end->assign(rank, 0);
  for (size_t i = 0; i < n; ++i) {
    (*begin)[ax[i]] = pads.values[i];
    (*end)[ax[i]] = pads.values[n + i];
  }
  return Status::Ok();
}

// The pad value as the bytes of one element (as ref.Pad: input 2 when given and not empty, else
// attribute 'value' before opset 11, else zero).
std::vector<uint8_t> PadValue(const rt::KernelContext& ctx, DType dt) {
  std::vector<uint8_t> v(dtype_size(dt), 0);
  if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
    std::memcpy(v.data(), ctx.input(2).raw(), v.size());
  } else if (ctx.node().attr("value")) {
    element_from_double(dt, v.data(), 0, ctx.node().attr_float("value", 0.0f));
  }
  return v;
}

class FastPad : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    Tensor& out = ctx.output(0);
    if (out.numel() == 0) return Status::Ok();
    const size_t elem = dtype_size(in.dtype());
    const auto* src = static_cast<const uint8_t*>(in.raw());
    auto* dst = static_cast<uint8_t*>(out.raw());
    if (in.rank() == 0) {
      std::memcpy(dst, src, elem);
      return Status::Ok();
    }
    std::vector<int64_t> pb, pe;
    SAMQ_RETURN_IF_ERROR(ReadPads(ctx, in.rank(), &pb, &pe));
    const std::vector<uint8_t> value = PadValue(ctx, in.dtype());

    // Merge unpadded trailing axes into the axis before them.
    Shape n = in.shape(), m = out.shape();
    while (n.size() > 1 && pb.back() == 0 && pe.back() == 0) {
      const int64_t c = n.back();
      n.pop_back();
      m.pop_back();
      pb.pop_back();
      pe.pop_back();
      n.back() *= c;
      m.back() *= c;
      pb.back() *= c;
      pe.back() *= c;
    }
    const int r = static_cast<int>(n.size());
    const Shape in_strides = ContiguousStrides(n);
    // Along the last axis, output [lo, hi) reads input [lo - b, hi - b); the rest is the value.
    const int64_t W = m[r - 1], b = pb[r - 1];
    const int64_t lo = std::clamp<int64_t>(b, 0, W), hi = std::clamp<int64_t>(n[r - 1] + b, lo, W);
    const int64_t rows = out.numel() / W;
    const int64_t row_bytes = W * static_cast<int64_t>(elem);
    const bool stream = UseStreamingRows(out.numel() * static_cast<int64_t>(elem));
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / row_bytes);
    parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> idx(r, 0);
      int64_t rem = begin;
      for (int k = r - 2; k >= 0; --k) {
        idx[k] = rem % m[k];
        rem /= m[k];
      }
      for (int64_t row = begin; row < end; ++row) {
        uint8_t* d = dst + row * row_bytes;
        int64_t off = 0;
        bool constant_row = false;
        for (int k = 0; k < r - 1; ++k) {
          const int64_t s = idx[k] - pb[k];
          if (s < 0 || s >= n[k]) constant_row = true;
          off += s * in_strides[k];
        }
        if (constant_row || hi <= lo) {
          FillElements(d, value.data(), W, elem);
        } else {
          FillElements(d, value.data(), lo, elem);
          CopyRun(d + lo * static_cast<int64_t>(elem), src + (off + lo - b) * static_cast<int64_t>(elem),
                  static_cast<size_t>((hi - lo) * static_cast<int64_t>(elem)), stream);
          FillElements(d + hi * static_cast<int64_t>(elem), value.data(), W - hi, elem);
        }
        for (int k = r - 2; k >= 0; --k) {
          if (++idx[k] < m[k]) break;
          idx[k] = 0;
        }
      }
      if (stream) StreamFence();
    });
    return Status::Ok();
  }
};

std::unique_ptr<rt::Kernel> MakePad(const rt::KernelBuildInfo& info, std::string* why) {
  const std::string mode = info.node.attr_string("mode", "constant");
  if (mode != "constant") {
    *why = "mode '" + mode + "'; supported: constant";
    return nullptr;
  }
  return std::make_unique<FastPad>();
}

}  // namespace

void AddFastPadKernel(rt::OpRegistry& r) { r.AddFastKernel("", "Pad", {"fast.Pad", MakePad}); }

}  // namespace samq::backends::fast
