// fast.Split and fast.Slice: every dtype, bit-identical to ref.Split / ref.Slice (they only move
// bytes). Both return views into the input's buffer when an output is one contiguous piece of it
// (ViT-B splits q, k, v off a [3, ...] tensor along axis 0; SAM's window unpadding slices H of a
// [1, H, W, C] tensor), and otherwise copy contiguous rows (fast_copy.h).
//
// Split: viewed as [outer, axis * inner], output i is a block of axis_i * inner elements per
// outer index. With outer = 1 each output is a view. Otherwise the input is walked once in
// pieces that stay in cache while every output takes its blocks from them (Hiera's qkv
// [B*N, 3, heads*d] split reads its 150 MB input once instead of three times).
//
// Slice: the arguments are read as ref.Slice reads them (attributes before opset 10, inputs
// from 10 on; infer has already checked them at run time) and clamped the same way. A slice that
// keeps a contiguous range is a view, unless it keeps less than half the input (a view would keep
// the whole input buffer alive for a small piece). Steps other than 1 are declined when they are
// constants; when they are only known at run time, the box is still copied by rows where its
// innermost step is 1, else by the reference's strided element loop (StridedCopyBytes).
#include <algorithm>

#include "backends/cpu/fast_copy.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/reference/shape_util.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

// ---- Split --------------------------------------------------------------------------------

class FastSplit : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t axis = ctx.node().attr_int("axis", 0);
    if (axis < 0) axis += in.rank();
    const int n = ctx.num_outputs();
    const int64_t elem = static_cast<int64_t>(dtype_size(in.dtype()));
    const int64_t outer = DimProduct(in.shape(), 0, axis);
    const int64_t inner_bytes = DimProduct(in.shape(), axis + 1, in.rank()) * elem;
    const int64_t in_row = in.dim(axis) * inner_bytes;
    // Byte offset of each output's block inside one input row; the sizes along the axis come
    // from infer (the split input, num_outputs or an even split).
    std::vector<int64_t> col(n + 1, 0);
    for (int i = 0; i < n; ++i) col[i + 1] = col[i] + ctx.output_type(i).dims[axis] * inner_bytes;
    if (in.numel() == 0) {  // every output is empty too
      for (int i = 0; i < n; ++i)
        if (!ctx.node().outputs[i].empty()) ctx.output(i);
      return Status::Ok();
    }
    std::vector<uint8_t*> dst(n, nullptr);
    for (int i = 0; i < n; ++i) {
      if (ctx.node().outputs[i].empty()) continue;  // an unused output
      if (outer <= 1) {
        ctx.set_output(i, ViewOf(in, ctx.output_type(i).dims, static_cast<size_t>(col[i])));
      } else if (col[i + 1] > col[i]) {
        dst[i] = static_cast<uint8_t*>(ctx.output_for_overwrite(i).raw());
      }
    }
    if (outer <= 1) return Status::Ok();
    const auto* src = static_cast<const uint8_t*>(in.raw());
    const bool stream = UseStreamingRows(outer * in_row);
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, in_row));
    // Pieces of about 32 KiB of input: each output takes its block of every row of a piece in
    // one CopyRows call while the piece is still in the L1/L2.
    const int64_t piece = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, in_row));
    parallel_for(outer, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; o += piece) {
        const int64_t rows = std::min(piece, end - o);
        for (int i = 0; i < n; ++i) {
          const int64_t block = col[i + 1] - col[i];
          if (dst[i]) CopyRows(dst[i] + o * block, src + o * in_row + col[i], rows, block, in_row, stream);
        }
      }
      if (stream) StreamFence();
    });
    return Status::Ok();
  }
};

// ---- Slice --------------------------------------------------------------------------------

// Clamped start and output length of one sliced axis of size `dim` (as ref.Slice: a negative
// index has the dim added once, then starts clamp to [0, dim] (steps > 0) or [0, dim-1] (steps < 0)
// and ends to [0, dim] or [-1, dim-1]).
std::pair<int64_t, int64_t> SliceAxis(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim == 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  int64_t len;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    len = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    len = start > end ? (step == INT64_MIN ? 1 : (start - end - 1) / (-step) + 1) : 0;
  }
  return {start, len};
}

struct SliceArgs {
  std::vector<int64_t> starts, ends, axes, steps;
};

// The run-time arguments, read as ref.Slice reads them. Infer ran first with the same values and
// reported any inconsistency, so only the reading and the defaults are repeated here.
Result<SliceArgs> ReadSliceArgs(const rt::KernelContext& ctx, int64_t rank) {
  const ir::Node& node = ctx.node();
  SliceArgs a;
  if (node.num_inputs() == 1) {
    a.starts = node.attr_ints("starts");
    a.ends = node.attr_ints("ends");
    a.axes = node.attr_ints("axes");
  } else {
    SAMQ_ASSIGN_OR_RETURN(a.starts, ReadInts(node, ctx.input(1), "starts"));
    SAMQ_ASSIGN_OR_RETURN(a.ends, ReadInts(node, ctx.input(2), "ends"));
    if (ctx.has_input(3)) {
      SAMQ_ASSIGN_OR_RETURN(a.axes, ReadInts(node, ctx.input(3), "axes"));
    }
    if (ctx.has_input(4)) {
      SAMQ_ASSIGN_OR_RETURN(a.steps, ReadInts(node, ctx.input(4), "steps"));
    }
  }
  const size_t n = a.starts.size();
  if (a.axes.empty())
    for (size_t i = 0; i < n; ++i) a.axes.push_back(static_cast<int64_t>(i));
  SAMQ_ASSIGN_OR_RETURN(a.axes, NormalizeAxes(node, a.axes, rank, "axes"));
  if (a.steps.empty()) a.steps.assign(n, 1);
  if (a.ends.size() != n || a.axes.size() != n || a.steps.size() != n)
    return NodeError(node, "starts, ends, axes and steps have different lengths");
  return a;
}

class FastSlice : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    SAMQ_ASSIGN_OR_RETURN(SliceArgs a, ReadSliceArgs(ctx, in.rank()));
    const Shape in_strides = ContiguousStrides(in.shape());
    Shape strides = in_strides, out_dims = in.shape();
    int64_t offset = 0;
    bool unit_steps = true;
    for (size_t i = 0; i < a.axes.size(); ++i) {
      const int64_t ax = a.axes[i];
      auto [start, len] = SliceAxis(a.starts[i], a.ends[i], a.steps[i], in.dim(ax));
      out_dims[ax] = len;
      if (len > 0) offset += start * in_strides[ax];
      strides[ax] = a.steps[i] * in_strides[ax];
      unit_steps = unit_steps && a.steps[i] == 1;
    }
    const int64_t numel = shape_numel(out_dims);
    if (numel == 0) {
      ctx.output(0);
      return Status::Ok();
    }
    const size_t elem = dtype_size(in.dtype());
    Shape md, ms;
    MergeBox(out_dims, strides, &md, &ms);
    const bool contiguous = md.empty() || (md.size() == 1 && ms[0] == 1);
    if (unit_steps && contiguous && 2 * numel >= in.numel()) {
      ctx.set_output(0, ViewOf(in, ctx.output_type(0).dims, static_cast<size_t>(offset) * elem));
      return Status::Ok();
    }
    CopyBoxRows(in.raw(), offset, strides, out_dims, elem, ctx.output_for_overwrite(0).raw());
    return Status::Ok();
  }
};

std::unique_ptr<rt::Kernel> MakeSlice(const rt::KernelBuildInfo& info, std::string* why) {
  const ir::Node& n = info.node;
  if (n.has_input(4)) {
    const Tensor* steps = info.const_inputs.size() > 4 ? info.const_inputs[4] : nullptr;
    if (steps) {
      for (int64_t s : steps->AsInt64Vector())
        if (s != 1) {
          *why = "steps other than 1";
          return nullptr;
        }
    }
  }
  return std::make_unique<FastSlice>();
}

}  // namespace

void AddFastSplitSliceKernels(rt::OpRegistry& r) {
  // Split handles every form (its output sizes come from infer), so it never declines.
  r.AddFastKernel("", "Split", {"fast.Split", [](const rt::KernelBuildInfo&, std::string*) {
                    return std::unique_ptr<rt::Kernel>(std::make_unique<FastSplit>());
                  }});
  r.AddFastKernel("", "Slice", {"fast.Slice", MakeSlice});
}

}  // namespace samq::backends::fast
