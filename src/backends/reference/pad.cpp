// Pad (and CenterCropPad, a centred crop-or-pad to a shape): modes constant, reflect, edge, wrap; pads as an attribute (opset 1 'paddings', 2-10
// 'pads') or an input (11+), constant value as attribute 'value' (before 11) or input, and the
// opset-18 'axes' input. Negative pads crop: an axis is first cropped by its negative pads, then
// padded by its positive ones (ONNX Runtime's behaviour), so reflect/edge/wrap see the cropped
// data.
#include <algorithm>

#include "backends/reference/shape_util.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

Result<PadMode> ReadMode(const ir::Node& node) {
  const std::string m = node.attr_string("mode", "constant");
  if (m == "constant") return PadMode::kConstant;
  if (m == "reflect") return PadMode::kReflect;
  if (m == "edge") return PadMode::kEdge;
  if (m == "wrap") return PadMode::kWrap;
  return NodeError(node, "mode '{}' is not supported; supported: constant, reflect, edge, wrap", m);
}

// Per-dim begin/end pads (negative = crop), or nullopt when not known yet.
struct Pads {
  bool known = false;
  std::vector<int64_t> begin, end;
};

template <typename Ctx>
Result<Pads> ReadPads(const Ctx& ctx, int64_t rank) {
  const ir::Node& node = ctx.node();
  SAMQ_ASSIGN_OR_RETURN(IntsArg pads, ReadIntsArg(ctx, 1, "pads"));
  if (!pads.present) {
    SAMQ_ASSIGN_OR_RETURN(pads, ReadIntsArg(ctx, -1, "paddings"));
  }
  if (!pads.present) return NodeError(node, "needs 'pads' (an attribute before opset 11, an input from 11 on)");
  SAMQ_ASSIGN_OR_RETURN(IntsArg axes, ReadIntsArg(ctx, 3, ""));
  Pads p;
  if (!pads.known || (axes.present && !axes.known)) return p;
  std::vector<int64_t> ax;
  if (axes.present) {
    SAMQ_ASSIGN_OR_RETURN(ax, NormalizeAxes(node, axes.values, rank, "axes"));
  } else {
    for (int64_t i = 0; i < rank; ++i) ax.push_back(i);
  }
  const size_t n = ax.size();
  if (pads.values.size() != 2 * n)
    return NodeError(node, "pads has {} values; expected 2 x {} (begin and end for each padded axis)",
                     pads.values.size(), n);
  p.known = true;
  p.begin.assign(rank, 0);
  p.end.assign(rank, 0);
  for (size_t i = 0; i < n; ++i) {
    p.begin[ax[i]] = pads.values[i];
    p.end[ax[i]] = pads.values[n + i];
  }
  return p;
}

Status InferPad(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  SAMQ_RETURN_IF_ERROR(ReadMode(ctx.node()).status());
  if (ctx.has_input(2) && ctx.input_type(2).dtype != DType::kUndefined && t.dtype != DType::kUndefined &&
      ctx.input_type(2).dtype != t.dtype)
    return ctx.Error("constant_value has dtype {} but the data is {}", dtype_name(ctx.input_type(2).dtype),
                     dtype_name(t.dtype));
  if (!t.rank_known) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(Pads p, ReadPads(ctx, t.rank()));
  Shape out(t.rank(), -1);
  if (p.known) {
    for (int64_t k = 0; k < t.rank(); ++k) {
      if (t.dims[k] < 0) continue;
      const int64_t kept = t.dims[k] + std::min<int64_t>(p.begin[k], 0) + std::min<int64_t>(p.end[k], 0);
      if (kept < 0)
        return ctx.Error("pads {} / {} on axis {} crop more than its size {}", p.begin[k], p.end[k], k, t.dims[k]);
      out[k] = t.dims[k] + p.begin[k] + p.end[k];
    }
  }
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

// Source index along one axis for each output index; -1 = the constant value.
Result<std::vector<int64_t>> AxisMap(const ir::Node& node, PadMode mode, int64_t n, int64_t b, int64_t e,
                                     int64_t out_len, int64_t axis) {
  const int64_t crop_b = std::max<int64_t>(0, -b), pad_b = std::max<int64_t>(0, b);
  const int64_t kept = n - crop_b - std::max<int64_t>(0, -e);
  std::vector<int64_t> map(out_len);
  if (kept == 0 && mode != PadMode::kConstant && out_len > 0)
    return NodeError(node, "cannot pad the empty axis {} in a mode other than 'constant'", axis);
  for (int64_t i = 0; i < out_len; ++i) {
    int64_t s = i - pad_b;  // index into the cropped axis
    if (s < 0 || s >= kept) {
      switch (mode) {
        case PadMode::kConstant: s = -1; break;
        case PadMode::kEdge: s = std::clamp<int64_t>(s, 0, kept - 1); break;
        case PadMode::kWrap: s = ((s % kept) + kept) % kept; break;
        case PadMode::kReflect:
          if (kept == 1) {
            s = 0;
          } else {
            // Mirror without repeating the edge: period 2 (kept - 1), as numpy's 'reflect'.
            const int64_t period = 2 * (kept - 1);
            s = ((s % period) + period) % period;
            if (s >= kept) s = period - s;
          }
          break;
      }
    }
    map[i] = s < 0 ? -1 : s + crop_b;
  }
  return map;
}

// The constant to pad with, as the bytes of one element of `dt`.
std::vector<uint8_t> PadValue(const rt::KernelContext& ctx, DType dt) {
  std::vector<uint8_t> v(dtype_size(dt), 0);
  if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
    std::memcpy(v.data(), ctx.input(2).raw(), v.size());
  } else if (ctx.node().attr("value")) {
    element_from_double(dt, v.data(), 0, ctx.node().attr_float("value", 0.0f));
  }
  return v;
}

// out = in padded/cropped by `p` (per-dim begin/end, negative = crop) in `mode`.
Status PadInto(const ir::Node& node, const Tensor& in, const Pads& p, PadMode mode,
               const std::vector<uint8_t>& value, Tensor& out) {
  if (out.numel() == 0) return Status::Ok();
  const size_t elem = dtype_size(in.dtype());
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const int r = static_cast<int>(in.rank());
  if (r == 0) {
    std::memcpy(dst, src, elem);
    return Status::Ok();
  }
  std::vector<std::vector<int64_t>> maps(r);
  for (int k = 0; k < r; ++k) {
    SAMQ_ASSIGN_OR_RETURN(maps[k], AxisMap(node, mode, in.dim(k), p.begin[k], p.end[k], out.dim(k), k));
  }
  const Shape in_strides = ContiguousStrides(in.shape());

  // Along the last axis the kept input is one contiguous run: copy it with memcpy and map the
  // few padded elements one by one.
  const std::vector<int64_t>& last = maps[r - 1];
  const int64_t W = out.dim(r - 1);
  const int64_t run_lo = std::clamp<int64_t>(p.begin[r - 1], 0, W);
  const int64_t run_hi = std::clamp<int64_t>(W - std::max<int64_t>(0, p.end[r - 1]), run_lo, W);
  const int64_t rows = out.numel() / W;
  const int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, W * static_cast<int64_t>(elem)));
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(r, 0);
    int64_t rem = begin;
    for (int k = r - 2; k >= 0; --k) {
      idx[k] = rem % out.dim(k);
      rem /= out.dim(k);
    }
    for (int64_t row = begin; row < end; ++row) {
      uint8_t* d = dst + row * W * static_cast<int64_t>(elem);
      int64_t off = 0;
      bool constant_row = false;
      for (int k = 0; k < r - 1; ++k) {
        const int64_t s = maps[k][idx[k]];
        if (s < 0) constant_row = true;
        off += s * in_strides[k];
      }
      if (constant_row) {
        FillElements(d, value.data(), W, elem);
      } else {
        const uint8_t* s_row = src + off * static_cast<int64_t>(elem);
        auto put = [&](int64_t x) {
          if (last[x] < 0) CopyElement(d + x * elem, value.data(), elem);
          else CopyElement(d + x * elem, s_row + last[x] * elem, elem);
        };
        for (int64_t x = 0; x < run_lo; ++x) put(x);
        if (run_hi > run_lo)
          std::memcpy(d + run_lo * elem, s_row + last[run_lo] * elem, static_cast<size_t>(run_hi - run_lo) * elem);
        for (int64_t x = run_hi; x < W; ++x) put(x);
      }
      for (int k = r - 2; k >= 0; --k) {
        if (++idx[k] < out.dim(k)) break;
        idx[k] = 0;
      }
    }
  });
  return Status::Ok();
}

Status RunPad(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  SAMQ_ASSIGN_OR_RETURN(PadMode mode, ReadMode(ctx.node()));
  SAMQ_ASSIGN_OR_RETURN(Pads p, ReadPads(ctx, in.rank()));
  return PadInto(ctx.node(), in, p, mode, PadValue(ctx, in.dtype()), ctx.output(0));
}

// ---- CenterCropPad (opset 18) --------------------------------------------------------------

// Per-dim begin/end pads that crop or zero-pad each listed axis to its target size around the
// centre: cropping drops floor((in - size) / 2) in front, padding adds floor((size - in) / 2).
template <typename Ctx>
Result<Pads> CenterPads(const Ctx& ctx, const Shape& in, const std::vector<int64_t>& sizes) {
  const ir::Node& node = ctx.node();
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes = node.attr_ints("axes");
  if (axes.empty())
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  SAMQ_ASSIGN_OR_RETURN(axes, NormalizeAxes(node, axes, rank, "axes"));
  if (sizes.size() != axes.size())
    return NodeError(node, "shape has {} values but {} axes are cropped/padded", sizes.size(), axes.size());
  Pads p;
  p.known = true;
  p.begin.assign(rank, 0);
  p.end.assign(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    const int64_t d = axes[i], n = in[d], size = sizes[i];
    if (size < 0) return NodeError(node, "shape has the negative size {}", size);
    if (n < 0) {
      p.known = false;
      continue;
    }
    const int64_t diff = size - n;
    const int64_t front = diff >= 0 ? diff / 2 : -((-diff) / 2);
    p.begin[d] = front;
    p.end[d] = diff - front;
  }
  return p;
}

Status InferCenterCropPad(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  const Tensor* shape = ctx.input_value(1);
  if (!t.rank_known || !shape) {
    if (t.rank_known) ctx.set_output(0, t.dtype, Shape(t.rank(), -1));
    else ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto sizes, ReadInts(ctx.node(), *shape, "shape"));
  SAMQ_ASSIGN_OR_RETURN(Pads p, CenterPads(ctx, t.dims, sizes));
  Shape out = t.dims;
  for (int64_t k = 0; k < t.rank(); ++k)
    if (out[k] >= 0) out[k] += p.begin[k] + p.end[k];
  // Axes with unknown input size still end at their target size.
  std::vector<int64_t> axes = ctx.node().attr_ints("axes");
  if (axes.empty())
    for (int64_t i = 0; i < t.rank(); ++i) axes.push_back(i);
  SAMQ_ASSIGN_OR_RETURN(axes, NormalizeAxes(ctx.node(), axes, t.rank(), "axes"));
  for (size_t i = 0; i < axes.size(); ++i) out[axes[i]] = sizes[i];
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

Status RunCenterCropPad(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  SAMQ_ASSIGN_OR_RETURN(auto sizes, ReadInts(ctx.node(), ctx.input(1), "shape"));
  SAMQ_ASSIGN_OR_RETURN(Pads p, CenterPads(ctx, in.shape(), sizes));
  const std::vector<uint8_t> zero(dtype_size(in.dtype()), 0);
  return PadInto(ctx.node(), in, p, PadMode::kConstant, zero, ctx.output(0));
}

}  // namespace

void RegisterPadOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Pad";
  s.min_inputs = 1;
  s.max_inputs = 4;
  s.infer = InferPad;
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Pad", RunPad));
  r.Register(std::move(s));

  rt::OpSchema c;
  c.op_type = "CenterCropPad";
  c.min_inputs = c.max_inputs = 2;
  c.infer = InferCenterCropPad;
  c.kernels.push_back(rt::MakeStatelessKernel("ref.CenterCropPad", RunCenterCropPad));
  r.Register(std::move(c));
}

}  // namespace samq::backends
