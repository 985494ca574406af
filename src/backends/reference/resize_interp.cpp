// Resize interpolation: nearest (a gather through per-axis index tables, any dtype) and
// linear / cubic with optional antialiasing (separable: one weighted pass per resized axis).
//
// Linear and cubic share one 1-D filter construction (Pillow's, as ONNX Runtime uses for
// antialias): output i centred at x = x_original(i) reads the input taps within `support` of x
// with weights filter((tap - x) * inv_scale), normalized to sum 1. Without antialias (or when
// upsampling) support is 1 (linear) or 2 (cubic) and inv_scale 1, which reproduces plain
// bilinear / Keys bicubic; taps outside the input fold onto the edge (clamping), or are dropped
// with exclude_outside. NCHW inputs resize over their last axes, so passes run over contiguous
// rows and are parallel over N*C*rows.
#include <algorithm>
#include <cmath>

#include "backends/reference/resize_impl.h"
#include "backends/reference/shape_util.h"
#include "core/float_convert.h"
#include "core/parallel.h"

namespace samq::backends {

float ResizeOriginalCoordinate(ResizeCoord c, float x, float scale, int64_t len_resized, float resized_len,
                               int64_t len_original, float roi_start, float roi_end) {
  const float lr = static_cast<float>(len_resized), lo = static_cast<float>(len_original);
  const float lf = resized_len;
  switch (c) {
    case ResizeCoord::kHalfPixel: return (x + 0.5f) / scale - 0.5f;
    case ResizeCoord::kPytorchHalfPixel: return lr > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case ResizeCoord::kAlignCorners: return lf == 1 ? 0.0f : x * (lo - 1) / (lf - 1);
    case ResizeCoord::kAsymmetric: return x / scale;
    case ResizeCoord::kTfHalfPixelForNn: return (x + 0.5f) / scale;
    case ResizeCoord::kTfCropAndResize:
      return lf != 1 ? roi_start * (lo - 1) + (x * (roi_end - roi_start) * (lo - 1)) / (lf - 1)
                     : 0.5f * (roi_start + roi_end) * (lo - 1);
    case ResizeCoord::kHalfPixelSymmetric: {
      // Keeps the resized content centred when the output size was rounded.
      const float adjustment = lr / (scale * lo);
      const float offset = lo / 2 * (1 - adjustment);
      return offset + (x + 0.5f) / scale - 0.5f;
    }
  }
  return 0.0f;
}

namespace {

// Output i of an axis -> original coordinate; identity where the scale is exactly 1.
float AxisCoordinate(const ResizeAttrs& a, const ResizeGeometry& g, int d, int64_t i, int64_t in_len) {
  if (g.scales[d] == 1.0f) return static_cast<float>(i);
  return ResizeOriginalCoordinate(a.coord, static_cast<float>(i), g.scales[d], g.out[d], g.resized_len[d],
                                  in_len, g.roi_start[d], g.roi_end[d]);
}

bool Outside(const ResizeAttrs& a, float x, int64_t in_len) {
  return a.coord == ResizeCoord::kTfCropAndResize && (x < 0 || x > static_cast<float>(in_len - 1));
}

int64_t NearestIndex(ResizeNearest m, float x, bool downsampling) {
  switch (m) {
    case ResizeNearest::kRoundPreferFloor:
      return x == std::floor(x) + 0.5f ? static_cast<int64_t>(std::floor(x)) : static_cast<int64_t>(std::round(x));
    case ResizeNearest::kRoundPreferCeil: return static_cast<int64_t>(std::round(x));
    case ResizeNearest::kFloor: return static_cast<int64_t>(std::floor(x));
    case ResizeNearest::kCeil: return static_cast<int64_t>(std::ceil(x));
    case ResizeNearest::kSimple:
      return downsampling ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(x);
  }
  return 0;
}

// ---- nearest ------------------------------------------------------------------------------

}  // namespace

Status ResizeNearestKernel(const ResizeAttrs& a, const ResizeGeometry& g, const Tensor& in, Tensor& out) {
  const int r = static_cast<int>(in.rank());
  const size_t elem = dtype_size(in.dtype());
  const Shape is = ContiguousStrides(in.shape());
  // Per axis: the input element offset for each output index, or -1 for the extrapolation value.
  std::vector<std::vector<int64_t>> map(r);
  for (int d = 0; d < r; ++d) {
    const int64_t len = in.dim(d);
    map[d].resize(out.dim(d));
    for (int64_t i = 0; i < out.dim(d); ++i) {
      const float x = AxisCoordinate(a, g, d, i, len);
      if (Outside(a, x, len)) {
        map[d][i] = -1;
        continue;
      }
      const int64_t j = std::clamp<int64_t>(NearestIndex(a.nearest, x, g.scales[d] < 1.0f), 0, len - 1);
      map[d][i] = j * is[d];
    }
  }
  std::vector<uint8_t> extrap(elem);
  element_from_double(in.dtype(), extrap.data(), 0, a.extrapolation_value);
  const auto* src = static_cast<const uint8_t*>(in.raw());
  auto* dst = static_cast<uint8_t*>(out.raw());
  const int64_t W = out.dim(r - 1), rows = out.numel() / W;
  const std::vector<int64_t>& last = map[r - 1];
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, W));
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t rem = row, off = 0;
      bool outside = false;
      for (int d = r - 2; d >= 0; --d) {
        const int64_t m = map[d][rem % out.dim(d)];
        rem /= out.dim(d);
        if (m < 0) outside = true;
        off += m;
      }
      uint8_t* o = dst + row * W * static_cast<int64_t>(elem);
      for (int64_t x = 0; x < W; ++x) {
        const bool ext = outside || last[x] < 0;
        CopyElement(o + x * elem, ext ? extrap.data() : src + (off + last[x]) * static_cast<int64_t>(elem), elem);
      }
    }
  });
  return Status::Ok();
}

namespace {

// ---- linear / cubic -----------------------------------------------------------------------

// The 1-D resampling of one axis: output i = sum_t w[i][t] * input[lo[i] + t], t < taps[i].
struct AxisFilter {
  std::vector<int64_t> lo;
  std::vector<int32_t> taps;
  std::vector<float> w;  // `window` weights per output index
  int64_t window = 0;
  std::vector<uint8_t> outside;  // tf_crop_and_resize: output i takes the extrapolation value
  bool identity = true;          // output i = input i for every i
};

float LinearFilter(float x) {
  x = std::fabs(x);
  return x < 1.0f ? 1.0f - x : 0.0f;
}

// Keys' cubic convolution kernel with parameter a (-0.75 in ONNX, -0.5 in Pillow).
float CubicFilter(float x, float a) {
  x = std::fabs(x);
  if (x < 1.0f) return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
  if (x < 2.0f) return (((x - 5.0f) * x + 8.0f) * x - 4.0f) * a;
  return 0.0f;
}

AxisFilter BuildAxisFilter(const ResizeAttrs& a, const ResizeGeometry& g, int d, int64_t in_len) {
  const int64_t out_len = g.out[d];
  const float scale = g.scales[d];
  const bool cubic = a.mode == ResizeMode::kCubic;
  const float half_support = cubic ? 2.0f : 1.0f;
  // Antialiasing stretches the filter by 1/scale when shrinking, so every input pixel counts.
  const bool widen = a.antialias && scale < 1.0f;
  const float support = widen ? half_support / scale : half_support;
  const float inv_scale = widen ? scale : 1.0f;
  AxisFilter f;
  f.window = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  f.lo.resize(out_len);
  f.taps.resize(out_len);
  f.w.assign(out_len * f.window, 0.0f);
  f.outside.assign(out_len, 0);
  std::vector<float> raw(f.window);
  for (int64_t i = 0; i < out_len; ++i) {
    const float x = AxisCoordinate(a, g, d, i, in_len);
    f.outside[i] = Outside(a, x, in_len);
    const float center = x + 0.5f;
    const int64_t first = static_cast<int64_t>(std::floor(center - support + 0.5f));
    const int64_t last = std::min(static_cast<int64_t>(std::floor(center + support + 0.5f)), first + f.window);
    // Weights of taps [first, last), possibly outside [0, in_len).
    for (int64_t t = first; t < last; ++t) {
      const float arg = (static_cast<float>(t) - center + 0.5f) * inv_scale;
      const float w = cubic ? CubicFilter(arg, a.cubic_a) : LinearFilter(arg);
      raw[t - first] = w;
    }
    // Fold taps outside the input onto the edge (clamp), or drop them (exclude_outside).
    const int64_t lo = std::clamp<int64_t>(first, 0, in_len - 1);
    const int64_t hi = std::clamp<int64_t>(last - 1, 0, in_len - 1);
    float* w = &f.w[i * f.window];
    float total = 0.0f;
    for (int64_t t = first; t < last; ++t) {
      if (a.exclude_outside && (t < 0 || t >= in_len)) continue;
      const float v = raw[t - first];
      w[std::clamp<int64_t>(t, 0, in_len - 1) - lo] += v;
      total += v;
    }
    const float inv_total = total == 0.0f ? 1.0f : 1.0f / total;
    int64_t n = hi - lo + 1;
    for (int64_t t = 0; t < n; ++t) w[t] *= inv_total;
    // Trim zero weights at both ends (e.g. cubic at an integer coordinate has one live tap).
    int64_t s = 0;
    while (s < n - 1 && w[s] == 0.0f) ++s;
    while (n - 1 > s && w[n - 1] == 0.0f) --n;
    if (s > 0) std::copy(w + s, w + n, w);
    f.lo[i] = lo + s;
    f.taps[i] = static_cast<int32_t>(n - s);
    f.identity = f.identity && out_len == in_len && f.taps[i] == 1 && f.lo[i] == i && w[0] == 1.0f && !f.outside[i];
  }
  return f;
}

// One separable pass: resample axis `d` of `in` (dims `dims`) into `out` (dims[d] = out_len).
template <typename T>
void FilterPass(const T* in, const Shape& dims, int d, const AxisFilter& f, int64_t out_len, T* out) {
  const int64_t outer = DimProduct(dims, 0, d), in_len = dims[d];
  const int64_t inner = DimProduct(dims, d + 1, dims.size());
  const int64_t grain = std::max<int64_t>(1, (1 << 13) / std::max<int64_t>(1, inner));
  parallel_for(outer * out_len, grain, [&](int64_t begin, int64_t end) {
    for (int64_t job = begin; job < end; ++job) {
      const int64_t o = job / out_len, i = job % out_len;
      T* dst = out + job * inner;
      const T* base = in + (o * in_len + f.lo[i]) * inner;
      const float* w = &f.w[i * f.window];
      if (inner == 1) {
        T acc = 0;
        for (int32_t t = 0; t < f.taps[i]; ++t) acc += static_cast<T>(w[t]) * base[t];
        dst[0] = acc;
        continue;
      }
      std::fill(dst, dst + inner, T(0));
      for (int32_t t = 0; t < f.taps[i]; ++t) {
        const T wt = static_cast<T>(w[t]);
        const T* s = base + t * inner;
        for (int64_t k = 0; k < inner; ++k) dst[k] += wt * s[k];
      }
    }
  });
}

template <typename T>
void FilterResize(const ResizeAttrs& a, const ResizeGeometry& g, const T* in, const Shape& in_dims, T* out) {
  const int r = static_cast<int>(in_dims.size());
  std::vector<AxisFilter> filters(r);
  std::vector<int> order;
  for (int d = 0; d < r; ++d) {
    filters[d] = BuildAxisFilter(a, g, d, in_dims[d]);
    if (!filters[d].identity) order.push_back(d);
  }
  // Shrinking axes first keeps the intermediate tensors small.
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) {
    return static_cast<double>(g.out[x]) / in_dims[x] < static_cast<double>(g.out[y]) / in_dims[y];
  });
  Shape dims = in_dims;
  const int64_t out_numel = shape_numel(g.out);
  if (order.empty()) {
    std::copy(in, in + out_numel, out);
  } else {
    std::vector<T> a_buf, b_buf;
    const T* cur = in;
    for (size_t k = 0; k < order.size(); ++k) {
      const int d = order[k];
      Shape next = dims;
      next[d] = g.out[d];
      T* dst = out;
      if (k + 1 < order.size()) {
        std::vector<T>& buf = (k % 2 == 0) ? a_buf : b_buf;
        buf.resize(shape_numel(next));
        dst = buf.data();
      }
      FilterPass(cur, dims, d, filters[d], g.out[d], dst);
      cur = dst;
      dims = next;
    }
  }
  if (a.coord != ResizeCoord::kTfCropAndResize) return;
  // Outputs whose coordinate left the input along any axis take the extrapolation value.
  const Shape os = ContiguousStrides(g.out);
  for (int64_t e = 0; e < out_numel; ++e) {
    for (int d = 0; d < r; ++d) {
      if (filters[d].outside[(e / os[d]) % g.out[d]]) {
        out[e] = static_cast<T>(a.extrapolation_value);
        break;
      }
    }
  }
}

}  // namespace

Status ResizeFilterKernel(const ir::Node& node, const ResizeAttrs& a, const ResizeGeometry& g,
                          const Tensor& in, Tensor& out) {
  const DType dt = in.dtype();
  if (dt == DType::kFloat32) {
    FilterResize<float>(a, g, in.data<float>(), in.shape(), out.data<float>());
    return Status::Ok();
  }
  if (dt == DType::kFloat64) {
    FilterResize<double>(a, g, in.data<double>(), in.shape(), out.data<double>());
    return Status::Ok();
  }
  if (dt == DType::kBool || dtype_size(dt) == 0)
    return NodeError(node, "mode linear/cubic does not support dtype {}", dtype_name(dt));
  // Narrow floats and integers: computed in float32, then rounded back (integers round to
  // nearest and saturate).
  std::vector<float> src(in.numel()), dst(out.numel());
  for (int64_t i = 0; i < in.numel(); ++i) src[i] = static_cast<float>(element_as_double(dt, in.raw(), i));
  FilterResize<float>(a, g, src.data(), in.shape(), dst.data());
  const bool integer = dtype_is_integer(dt);
  for (int64_t i = 0; i < out.numel(); ++i)
    element_from_double(dt, out.raw(), i, integer ? std::round(dst[i]) : dst[i]);
  return Status::Ok();
}

}  // namespace samq::backends
