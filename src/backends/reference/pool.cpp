// MaxPool (with the optional Indices output), AveragePool, GlobalAveragePool, GlobalMaxPool.
//
// Every output element walks its whole window and skips taps outside the input: padding never
// wins a max, and for AveragePool it counts in the divisor only with count_include_pad=1 (and
// then only the declared pads, not the overhang that ceil_mode adds — as ONNX Runtime and
// PyTorch do).
#include <algorithm>
#include <limits>
#include <vector>

#include "backends/reference/conv_geometry.h"
#include "backends/reference/dtype_visit.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// Window attributes and resolved geometry for a pooling node on an input of shape `x`.
struct PoolProblem {
  WindowAttrs attrs;
  ResolvedWindow window;
  Shape out_shape;
};

Result<PoolProblem> MakePoolProblem(const ir::Node& node, const Shape& x) {
  if (x.size() < 3)
    return Status::UserF("{}: input must have rank >= 3 (N, C, spatial...), got {}",
                         node.describe(), shape_str(x));
  PoolProblem p;
  const int spatial = static_cast<int>(x.size()) - 2;
  SAMQ_ASSIGN_OR_RETURN(p.attrs, ReadWindowAttrs(node, spatial, {}));
  SAMQ_ASSIGN_OR_RETURN(p.window,
                        ResolveForwardWindow(node, p.attrs, std::vector<int64_t>(x.begin() + 2, x.end())));
  p.out_shape = {x[0], x[1]};
  p.out_shape.insert(p.out_shape.end(), p.window.out.begin(), p.window.out.end());
  return p;
}

Status InferPool(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  Shape xd = x.dims;
  if (!x.rank_known) {
    const auto ks = ctx.node().attr_ints("kernel_shape");
    if (ks.empty()) {
      for (int i = 0; i < ctx.num_outputs(); ++i)
        ctx.set_output_unknown_rank(i, i == 0 ? x.dtype : DType::kInt64);
      return Status::Ok();
    }
    xd.assign(ks.size() + 2, -1);
  }
  SAMQ_ASSIGN_OR_RETURN(PoolProblem p, MakePoolProblem(ctx.node(), xd));
  ctx.set_output(0, x.dtype, p.out_shape);
  ctx.set_output(1, DType::kInt64, p.out_shape);  // MaxPool's Indices; ignored when absent
  return Status::Ok();
}

// Calls fn(plane, flat output index, window start per spatial dim) for every output element;
// planes (n, c) run in parallel.
template <typename Fn>
void ForEachWindow(const PoolProblem& p, int64_t planes, Fn&& fn) {
  const int sp = p.attrs.spatial;
  const int64_t out_plane = shape_numel(p.window.out);
  parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> start(sp);
    for (int64_t plane = begin; plane < end; ++plane) {
      for (int64_t o = 0; o < out_plane; ++o) {
        for (int64_t rem = o, i = sp - 1; i >= 0; --i) {
          start[i] = (rem % p.window.out[i]) * p.attrs.strides[i] - p.window.pad_begin[i];
          rem /= p.window.out[i];
        }
        fn(plane, plane * out_plane + o, start);
      }
    }
  });
}

// Calls tap(spatial position) for every tap of the window starting at `start`, in or out of the input.
template <typename Fn>
void ForEachTap(const PoolProblem& p, const std::vector<int64_t>& start, Fn&& tap) {
  const int sp = p.attrs.spatial;
  const int64_t taps = shape_numel(p.attrs.kernel);
  std::vector<int64_t> pos(sp);
  for (int64_t t = 0; t < taps; ++t) {
    for (int64_t rem = t, i = sp - 1; i >= 0; --i) {
      pos[i] = start[i] + (rem % p.attrs.kernel[i]) * p.attrs.dilations[i];
      rem /= p.attrs.kernel[i];
    }
    tap(pos);
  }
}

template <typename T>
void RunMaxPoolTyped(const PoolProblem& p, const Tensor& x, T* y, int64_t* indices,
                     bool column_major) {
  const int sp = p.attrs.spatial;
  const int64_t in_plane = shape_numel(p.window.in);
  const T* px = x.data<T>();
  ForEachWindow(p, x.dim(0) * x.dim(1), [&](int64_t plane, int64_t out_i, const std::vector<int64_t>& start) {
    T best = std::numeric_limits<T>::lowest();
    if constexpr (std::numeric_limits<T>::has_infinity) best = -std::numeric_limits<T>::infinity();
    int64_t best_index = -1;
    ForEachTap(p, start, [&](const std::vector<int64_t>& pos) {
      int64_t row_major = 0, col_major = 0, col_stride = 1;
      for (int i = 0; i < sp; ++i) {
        if (pos[i] < 0 || pos[i] >= p.window.in[i]) return;
        row_major = row_major * p.window.in[i] + pos[i];
        col_major += pos[i] * col_stride;
        col_stride *= p.window.in[i];
      }
      const T v = px[plane * in_plane + row_major];
      if (best_index < 0 || v > best) {
        best = v;
        best_index = plane * in_plane + (column_major ? col_major : row_major);
      }
    });
    y[out_i] = best;
    if (indices) indices[out_i] = std::max<int64_t>(best_index, 0);
  });
}

template <typename T>
void RunAveragePoolTyped(const PoolProblem& p, const Tensor& x, T* y, bool count_include_pad) {
  const int sp = p.attrs.spatial;
  const int64_t in_plane = shape_numel(p.window.in);
  const T* px = x.data<T>();
  ForEachWindow(p, x.dim(0) * x.dim(1), [&](int64_t plane, int64_t out_i, const std::vector<int64_t>& start) {
    double sum = 0;
    int64_t inside = 0, padded = 0;
    ForEachTap(p, start, [&](const std::vector<int64_t>& pos) {
      int64_t row_major = 0;
      bool in_input = true, in_padded = true;
      for (int i = 0; i < sp; ++i) {
        if (pos[i] < -p.window.pad_begin[i] || pos[i] >= p.window.in[i] + p.window.pad_end[i])
          in_padded = false;
        if (pos[i] < 0 || pos[i] >= p.window.in[i]) in_input = false;
        row_major = row_major * p.window.in[i] + pos[i];
      }
      padded += in_padded;
      if (!in_input) return;
      ++inside;
      sum += static_cast<double>(px[plane * in_plane + row_major]);
    });
    const int64_t count = count_include_pad ? padded : inside;
    y[out_i] = static_cast<T>(count > 0 ? sum / static_cast<double>(count) : 0.0);
  });
}

template <typename T>
void RunGlobalPoolTyped(const Tensor& x, T* y, bool is_max) {
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t n = planes > 0 ? x.numel() / planes : 0;
  const T* px = x.data<T>();
  parallel_for(planes, 1, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const T* v = px + plane * n;
      if (is_max) {
        T best = n > 0 ? v[0] : T(0);
        for (int64_t i = 1; i < n; ++i) best = v[i] > best ? v[i] : best;
        y[plane] = best;
      } else {
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]);
        y[plane] = static_cast<T>(n > 0 ? sum / static_cast<double>(n) : 0.0);
      }
    }
  });
}

enum class PoolKind { kMax, kAverage, kGlobalMax, kGlobalAverage };

// Runs `fn(x, y)` for the input dtype, through float32 for fp16/bf16.
template <typename Fn>
Status DispatchPool(rt::KernelContext& ctx, bool allow_int8, Fn&& fn) {
  const Tensor& x = ctx.input(0);
  const DType dt = x.dtype();
  if (IsNarrowFloat(dt)) {
    Tensor x32 = WidenToFloat32(x);
    Tensor y32 = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    fn(TypeTag<float>{}, x32, y32);
    ctx.set_output(0, NarrowFromFloat32(y32, dt));
    return Status::Ok();
  }
  bool handled = VisitNativeFloat(dt, [&](auto tag) { fn(tag, x, ctx.output(0)); });
  if (!handled && allow_int8) {
    if (dt == DType::kInt8) {
      fn(TypeTag<int8_t>{}, x, ctx.output(0));
      handled = true;
    } else if (dt == DType::kUInt8) {
      fn(TypeTag<uint8_t>{}, x, ctx.output(0));
      handled = true;
    }
  }
  if (!handled)
    return ctx.Error("dtype {} is not supported; supported: float32, float64, float16, bfloat16{}",
                     dtype_name(dt), allow_int8 ? ", int8, uint8" : "");
  return Status::Ok();
}

rt::RunFn MakePoolRun(PoolKind kind) {
  return [kind](rt::KernelContext& ctx) -> Status {
    const ir::Node& node = ctx.node();
    if (kind == PoolKind::kGlobalMax || kind == PoolKind::kGlobalAverage) {
      if (ctx.input(0).rank() < 2)
        return ctx.Error("input must have rank >= 2 (N, C, ...), got {}", shape_str(ctx.input(0).shape()));
      return DispatchPool(ctx, false, [&](auto tag, const Tensor& x, Tensor& y) {
        using T = typename decltype(tag)::type;
        RunGlobalPoolTyped<T>(x, y.template data<T>(), kind == PoolKind::kGlobalMax);
      });
    }
    SAMQ_ASSIGN_OR_RETURN(PoolProblem p, MakePoolProblem(node, ctx.input(0).shape()));
    if (kind == PoolKind::kAverage) {
      const bool include_pad = node.attr_int("count_include_pad", 0) != 0;
      return DispatchPool(ctx, false, [&](auto tag, const Tensor& x, Tensor& y) {
        using T = typename decltype(tag)::type;
        RunAveragePoolTyped<T>(p, x, y.template data<T>(), include_pad);
      });
    }
    const int64_t storage_order = node.attr_int("storage_order", 0);
    if (storage_order != 0 && storage_order != 1)
      return ctx.Error("storage_order {} is not supported; supported: 0 (row major), 1 (column major)",
                       storage_order);
    const bool want_indices = ctx.num_outputs() > 1 && !node.outputs[1].empty();
    int64_t* indices = want_indices ? ctx.output(1).data<int64_t>() : nullptr;
    return DispatchPool(ctx, true, [&](auto tag, const Tensor& x, Tensor& y) {
      using T = typename decltype(tag)::type;
      RunMaxPoolTyped<T>(p, x, y.template data<T>(), indices, storage_order == 1);
    });
  };
}

Status InferGlobalPool(rt::InferContext& ctx) {
  const auto& x = ctx.input_type(0);
  if (!x.rank_known) {
    ctx.set_output_unknown_rank(0, x.dtype);
    return Status::Ok();
  }
  if (x.rank() < 2) return ctx.Error("input must have rank >= 2 (N, C, ...), got {}", x.str());
  Shape out = x.dims;
  for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
  ctx.set_output(0, x.dtype, out);
  return Status::Ok();
}

void Register(rt::OpRegistry& r, const char* op, PoolKind kind, int max_outputs) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = s.max_inputs = 1;
  s.max_outputs = max_outputs;
  const bool global = kind == PoolKind::kGlobalMax || kind == PoolKind::kGlobalAverage;
  s.infer = global ? rt::InferFn(InferGlobalPool) : rt::InferFn(InferPool);
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, MakePoolRun(kind)));
  r.Register(std::move(s));
}

}  // namespace

void RegisterPoolOps(rt::OpRegistry& r) {
  Register(r, "MaxPool", PoolKind::kMax, 2);
  Register(r, "AveragePool", PoolKind::kAverage, 1);
  Register(r, "GlobalMaxPool", PoolKind::kGlobalMax, 1);
  Register(r, "GlobalAveragePool", PoolKind::kGlobalAverage, 1);
}

}  // namespace samq::backends
