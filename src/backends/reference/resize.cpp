// Resize (opsets 10, 11, 13, 18, 19): attributes, inputs, output geometry, schema.
// The interpolation lives in resize_interp.cpp; see resize_impl.h for the numeric conventions.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/reference/resize_impl.h"
#include "backends/reference/shape_util.h"
#include "backends/registry.h"
#include "core/float_convert.h"

namespace samq::backends {
namespace {

template <typename E>
Result<E> Pick(const ir::Node& node, const char* attr, const std::string& value,
               std::initializer_list<std::pair<const char*, E>> options) {
  std::string names;
  for (const auto& [name, e] : options) {
    if (value == name) return e;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  return NodeError(node, "{} '{}' is not supported; supported: {}", attr, value, names);
}

// A float-valued input (scales, roi: float32, or float16/float64 tolerated) as float32 values.
std::vector<float> FloatValues(const Tensor& t) {
  std::vector<float> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = static_cast<float>(element_as_double(t.dtype(), t.raw(), i));
  return v;
}

}  // namespace

ResizeInputs ResizeInputSlots(int64_t opset) {
  if (opset > 0 && opset <= 10) return {-1, 1, -1};
  return {1, 2, 3};
}

Result<ResizeAttrs> ReadResizeAttrs(const ir::Node& node, int64_t opset) {
  ResizeAttrs a;
  SAMQ_ASSIGN_OR_RETURN(a.mode, Pick<ResizeMode>(node, "mode", node.attr_string("mode", "nearest"),
                                                 {{"nearest", ResizeMode::kNearest},
                                                  {"linear", ResizeMode::kLinear},
                                                  {"cubic", ResizeMode::kCubic}}));
  const bool v10 = opset > 0 && opset <= 10;
  if (v10) {
    // Resize-10 had no coordinate_transformation_mode or nearest_mode.
    a.coord = ResizeCoord::kAsymmetric;
    a.nearest = ResizeNearest::kSimple;
  } else {
    SAMQ_ASSIGN_OR_RETURN(
        a.coord, Pick<ResizeCoord>(node, "coordinate_transformation_mode",
                                   node.attr_string("coordinate_transformation_mode", "half_pixel"),
                                   {{"half_pixel", ResizeCoord::kHalfPixel},
                                    {"half_pixel_symmetric", ResizeCoord::kHalfPixelSymmetric},
                                    {"pytorch_half_pixel", ResizeCoord::kPytorchHalfPixel},
                                    {"align_corners", ResizeCoord::kAlignCorners},
                                    {"asymmetric", ResizeCoord::kAsymmetric},
                                    {"tf_half_pixel_for_nn", ResizeCoord::kTfHalfPixelForNn},
                                    {"tf_crop_and_resize", ResizeCoord::kTfCropAndResize}}));
    SAMQ_ASSIGN_OR_RETURN(a.nearest, Pick<ResizeNearest>(node, "nearest_mode",
                                                         node.attr_string("nearest_mode", "round_prefer_floor"),
                                                         {{"round_prefer_floor", ResizeNearest::kRoundPreferFloor},
                                                          {"round_prefer_ceil", ResizeNearest::kRoundPreferCeil},
                                                          {"floor", ResizeNearest::kFloor},
                                                          {"ceil", ResizeNearest::kCeil}}));
  }
  SAMQ_ASSIGN_OR_RETURN(a.policy, Pick<AspectPolicy>(node, "keep_aspect_ratio_policy",
                                                     node.attr_string("keep_aspect_ratio_policy", "stretch"),
                                                     {{"stretch", AspectPolicy::kStretch},
                                                      {"not_larger", AspectPolicy::kNotLarger},
                                                      {"not_smaller", AspectPolicy::kNotSmaller}}));
  a.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  a.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  a.antialias = node.attr_int("antialias", 0) != 0;
  a.extrapolation_value = node.attr_float("extrapolation_value", 0.0f);
  a.axes = node.attr_ints("axes");
  // Antialiasing is defined for the filtering modes only; nearest ignores it (as ORT's
  // nearest path does), so it is accepted rather than refused.
  if (a.antialias && a.mode == ResizeMode::kNearest) a.antialias = false;
  return a;
}

Result<ResizeGeometry> ComputeResizeGeometry(const ir::Node& node, const ResizeAttrs& a, const Shape& in,
                                             const Tensor* roi, const Tensor* scales, const Tensor* sizes) {
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0) return NodeError(node, "input must have rank >= 1, got a scalar");
  std::vector<int64_t> axes = a.axes;
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  } else {
    SAMQ_ASSIGN_OR_RETURN(axes, NormalizeAxes(node, axes, rank, "axes"));
  }
  const size_t n = axes.size();
  ResizeGeometry g;
  g.out = in;
  g.scales.assign(rank, 1.0f);
  g.resized_len.resize(rank);
  for (int64_t d = 0; d < rank; ++d) g.resized_len[d] = static_cast<float>(in[d]);
  g.roi_start.assign(rank, 0.0f);
  g.roi_end.assign(rank, 1.0f);
  if (a.coord == ResizeCoord::kTfCropAndResize) {
    if (!roi) return NodeError(node, "coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input");
    const auto r = FloatValues(*roi);
    if (r.size() != 2 * n)
      return NodeError(node, "roi has {} values; expected 2 x {} (starts then ends)", r.size(), n);
    for (size_t i = 0; i < n; ++i) {
      g.roi_start[axes[i]] = r[i];
      g.roi_end[axes[i]] = r[n + i];
    }
  }
  if (scales && sizes) return NodeError(node, "give either scales or sizes, not both");
  if (!scales && !sizes) return NodeError(node, "needs scales or sizes (a non-empty input)");
  if (scales) {
    const auto s = FloatValues(*scales);
    if (s.size() != n) return NodeError(node, "scales has {} values; expected {}", s.size(), n);
    for (size_t i = 0; i < n; ++i) {
      if (!(s[i] > 0.0f) || !std::isfinite(s[i]))
        return NodeError(node, "scales must be positive and finite, got {}", s[i]);
      const int64_t d = axes[i];
      g.scales[d] = s[i];
      if (in[d] < 0) {
        g.out[d] = -1;
        continue;
      }
      // float32 product truncated, as ONNX Runtime and the ONNX reference size the output (both
      // ignore the roi here, although the spec text scales tf_crop_and_resize by it).
      const float len = static_cast<float>(in[d]) * s[i];
      g.resized_len[d] = len;
      if (!(len >= 0.0f) || len > static_cast<float>(std::numeric_limits<int32_t>::max()))
        return NodeError(node, "scale {} on axis {} gives an invalid output size", s[i], d);
      g.out[d] = static_cast<int64_t>(len);
    }
    return g;
  }
  SAMQ_ASSIGN_OR_RETURN(auto sz, ReadInts(node, *sizes, "sizes"));
  if (sz.size() != n) return NodeError(node, "sizes has {} values; expected {}", sz.size(), n);
  bool all_known = true;
  for (size_t i = 0; i < n; ++i) {
    const int64_t d = axes[i];
    if (sz[i] < 0) return NodeError(node, "sizes {} has a negative value", shape_str(sz));
    if (in[d] == 0 && sz[i] != 0)
      return NodeError(node, "axis {} is empty and cannot be resized to {}", d, sz[i]);
    g.out[d] = sz[i];
    g.resized_len[d] = static_cast<float>(sz[i]);
    if (in[d] < 0) all_known = false;
    else g.scales[d] = in[d] == 0 ? 1.0f : static_cast<float>(sz[i]) / static_cast<float>(in[d]);
  }
  if (a.policy != AspectPolicy::kStretch) {
    // One scale for every resized axis: the smallest (not_larger) or largest (not_smaller).
    float s = a.policy == AspectPolicy::kNotLarger ? std::numeric_limits<float>::max() : 0.0f;
    for (int64_t d : axes)
      s = a.policy == AspectPolicy::kNotLarger ? std::min(s, g.scales[d]) : std::max(s, g.scales[d]);
    for (int64_t d : axes) {
      g.scales[d] = s;
      g.out[d] = all_known ? static_cast<int64_t>(std::round(s * static_cast<float>(in[d]))) : -1;
      g.resized_len[d] = static_cast<float>(g.out[d]);
    }
  }
  return g;
}

namespace {

// An optional float/int input: its value when present and non-empty; `*unknown` when present
// but not known yet (compile time) and not provably empty from its static type.
const Tensor* OptionalInput(const rt::InferContext& ctx, int i, bool* unknown) {
  if (i < 0 || !ctx.has_input(i)) return nullptr;
  if (const Tensor* v = ctx.input_value(i)) return v->numel() > 0 ? v : nullptr;
  const auto& t = ctx.input_type(i);
  const bool empty = t.rank_known && std::any_of(t.dims.begin(), t.dims.end(), [](int64_t d) { return d == 0; });
  if (!empty) *unknown = true;
  return nullptr;
}

Status InferResize(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  SAMQ_ASSIGN_OR_RETURN(ResizeAttrs a, ReadResizeAttrs(ctx.node(), ctx.opset()));
  if (a.mode != ResizeMode::kNearest && t.dtype == DType::kBool)
    return ctx.Error("mode linear/cubic is not defined for bool data; supported for bool: nearest");
  if (!t.rank_known) {
    ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  const ResizeInputs slots = ResizeInputSlots(ctx.opset());
  bool unknown = false;
  const Tensor* roi = OptionalInput(ctx, slots.roi, &unknown);
  bool value_unknown = false;
  const Tensor* scales = OptionalInput(ctx, slots.scales, &value_unknown);
  const Tensor* sizes = OptionalInput(ctx, slots.sizes, &value_unknown);
  if (value_unknown || (unknown && a.coord == ResizeCoord::kTfCropAndResize)) {
    Shape out = t.dims;
    if (a.axes.empty()) {
      std::fill(out.begin(), out.end(), -1);
    } else {
      SAMQ_ASSIGN_OR_RETURN(auto axes, NormalizeAxes(ctx.node(), a.axes, t.rank(), "axes"));
      for (int64_t d : axes) out[d] = -1;
    }
    ctx.set_output(0, t.dtype, out);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto g, ComputeResizeGeometry(ctx.node(), a, t.dims, roi, scales, sizes));
  ctx.set_output(0, t.dtype, g.out);
  return Status::Ok();
}

Status RunResize(rt::KernelContext& ctx) {
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
  if (a.mode == ResizeMode::kNearest) return ResizeNearestKernel(a, g, in, out);
  return ResizeFilterKernel(ctx.node(), a, g, in, out);
}

}  // namespace

void RegisterResizeOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Resize";
  s.min_inputs = 1;
  s.max_inputs = 4;
  s.infer = InferResize;
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Resize", RunResize));
  r.Register(std::move(s));
}

}  // namespace samq::backends
