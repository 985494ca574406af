// fast.Softmax (float32, normalized axis = the last one) and fast.LayerNormalization (float32,
// no Mean / InvStdDev outputs, Scale and B covering the normalized dims).
//
// Both are row-wise: rows spread over the threads, one row's passes stay in L1. Softmax keeps
// the max subtraction of the reference; LayerNorm accumulates the mean and the centred variance
// in double like the reference, so the two agree to float rounding.
#include <algorithm>
#include <cmath>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/fast_math.h"
#include "core/parallel.h"

namespace samq::backends::fast {

SAMQ_CLONES void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float m = xr[0];
    for (int64_t i = 1; i < n; ++i) m = std::max(m, xr[i]);
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float e = fastmath::Exp(xr[i] - m);
      yr[i] = e;
      sum += e;
    }
    const float inv = 1.0f / sum;
    for (int64_t i = 0; i < n; ++i) yr[i] *= inv;
  }
}

namespace {


// Eight float lanes widened to double: the row sums below keep the reference's double
// accumulation but in 4 x 8 independent lanes. A scalar double sum is one dependent add per
// element (latency-bound, ~4 cycles each): that made LayerNorm over ViT-B's [4096, 768] rows
// cost twice its memory traffic.
typedef float F8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef double D8 __attribute__((vector_size(64)));

// sum_i f(x[i]) in double, with f(v) = v (centre = nullptr) or (v - *centre)^2 computed in float.
__attribute__((always_inline)) inline double RowSum(const float* x, int64_t n, const float* centre) {
  D8 acc[4] = {};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < 4; ++k) {
      F8 v = *reinterpret_cast<const F8*>(x + i + 8 * k);
      if (centre) {
        v = v - *centre;
        v = v * v;
      }
      acc[k] += __builtin_convertvector(v, D8);
    }
  const D8 all = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  double s = 0;
  for (int l = 0; l < 8; ++l) s += all[l];
  for (; i < n; ++i) {
    float v = x[i];
    if (centre) {
      v -= *centre;
      v *= v;
    }
    s += v;
  }
  return s;
}

SAMQ_CLONES void LayerNormRows(const float* x, const float* scale, const float* bias, float* y,
                               int64_t rows, int64_t n, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const float mean = static_cast<float>(RowSum(xr, n, nullptr) / n);
    const double v = RowSum(xr, n, &mean);
    const float inv = static_cast<float>(1.0 / std::sqrt(v / n + eps));
    if (bias) {
      for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - mean) * inv * scale[i] + bias[i];
    } else {
      for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - mean) * inv * scale[i];
    }
  }
}

// Rows per thread chunk so a chunk is at least ~16K elements.
int64_t RowGrain(int64_t n) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)); }

class SoftmaxKernel : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output_for_overwrite(0);
    const int64_t n = x.rank() == 0 ? 1 : x.shape().back();
    const int64_t rows = n == 0 ? 0 : x.numel() / n;
    const float* px = x.data<float>();
    float* py = y.data<float>();
    parallel_for(rows, RowGrain(n), [&](int64_t lo, int64_t hi) {
      SoftmaxRows(px + lo * n, py + lo * n, hi - lo, n);
    });
    return Status::Ok();
  }
};

class LayerNormKernel : public rt::Kernel {
 public:
  LayerNormKernel(int64_t axis, float eps) : axis_(axis), eps_(eps) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const int64_t axis = axis_ < 0 ? axis_ + x.rank() : axis_;
    int64_t n = 1;
    for (int64_t i = axis; i < x.rank(); ++i) n *= x.dim(i);
    const Tensor& scale = ctx.input(1);
    const bool has_bias = ctx.has_input(2);
    if (scale.numel() != n || (has_bias && ctx.input(2).numel() != n))
      return ctx.Error("Scale/B must have the {} elements of the normalized dims", n);
    const int64_t rows = n == 0 ? 0 : x.numel() / n;
    const float* px = x.data<float>();
    const float* ps = scale.data<float>();
    const float* pb = has_bias ? ctx.input(2).data<float>() : nullptr;
    float* py = ctx.output_for_overwrite(0).data<float>();
    parallel_for(rows, RowGrain(n), [&](int64_t lo, int64_t hi) {
      LayerNormRows(px + lo * n, ps, pb, py + lo * n, hi - lo, n, eps_);
    });
    return Status::Ok();
  }

 private:
  int64_t axis_;
  float eps_;
};

bool InputsFloat32(const rt::KernelBuildInfo& info, std::string* why) {
  for (size_t i = 0; i < info.input_types.size(); ++i) {
    if (!info.node.has_input(static_cast<int>(i))) continue;
    if (info.input_types[i].dtype != DType::kFloat32) {
      *why = "input " + std::to_string(i) + " is not float32";
      return false;
    }
  }
  return true;
}

std::unique_ptr<rt::Kernel> MakeSoftmax(const rt::KernelBuildInfo& info, std::string* why) {
  if (!InputsFloat32(info, why)) return nullptr;
  const auto& t = info.input_types[0];
  if (!t.rank_known || t.dims.empty()) {
    *why = "input rank unknown or 0";
    return nullptr;
  }
  const int64_t rank = static_cast<int64_t>(t.dims.size());
  const bool legacy = info.opset < 13;
  int64_t axis = info.node.attr_int("axis", legacy ? 1 : -1);
  if (axis < 0) axis += rank;
  // Legacy semantics flatten [axis, rank) into the row, which equals last-axis softmax only
  // when axis is the last dim.
  if (axis != rank - 1) {
    *why = "axis is not the last dim";
    return nullptr;
  }
  return std::make_unique<SoftmaxKernel>();
}

std::unique_ptr<rt::Kernel> MakeLayerNorm(const rt::KernelBuildInfo& info, std::string* why) {
  if (!InputsFloat32(info, why)) return nullptr;
  for (size_t i = 1; i < info.node.outputs.size(); ++i)
    if (!info.node.outputs[i].empty()) {
      *why = "Mean/InvStdDev outputs are used";
      return nullptr;
    }
  if (info.node.attr_int("stash_type", 1) != 1) {
    *why = "stash_type is not float32";
    return nullptr;
  }
  const auto& t = info.input_types[0];
  if (!t.rank_known) {
    *why = "input rank unknown";
    return nullptr;
  }
  const int64_t rank = static_cast<int64_t>(t.dims.size());
  int64_t axis = info.node.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) {
    *why = "axis out of range";
    return nullptr;
  }
  // Scale / B must be exactly the normalized dims (leading 1s allowed); other broadcasts and
  // shape errors are the reference's (it names the mismatch).
  const Shape norm(t.dims.begin() + (axis < 0 ? axis + rank : axis), t.dims.end());
  for (size_t i = 1; i < info.input_types.size(); ++i) {
    if (!info.node.has_input(static_cast<int>(i))) continue;
    const auto& st = info.input_types[i];
    Shape d = st.rank_known ? st.dims : Shape{-2};
    while (d.size() > norm.size() && d.front() == 1) d.erase(d.begin());
    bool same = d.size() == norm.size();
    for (size_t k = 0; same && k < d.size(); ++k) same = d[k] == norm[k] && d[k] >= 0;
    if (!same) {
      *why = i == 1 ? "Scale is not statically the normalized shape" : "B is not statically the normalized shape";
      return nullptr;
    }
  }
  return std::make_unique<LayerNormKernel>(axis < 0 ? axis + rank : axis,
                                           info.node.attr_float("epsilon", 1e-5f));
}

}  // namespace

void AddFastNormKernels(rt::OpRegistry& r) {
  r.AddFastKernel("", "Softmax", {"fast.Softmax", MakeSoftmax});
  r.AddFastKernel("", "LayerNormalization", {"fast.LayerNormalization", MakeLayerNorm});
}

}  // namespace samq::backends::fast
