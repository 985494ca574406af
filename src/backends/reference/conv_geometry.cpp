#include "backends/reference/conv_geometry.h"

#include <algorithm>

namespace samq::backends {
namespace {

Status CheckLength(const ir::Node& node, const char* name, const std::vector<int64_t>& v,
                   size_t want) {
  if (v.size() != want)
    return Status::UserF("{}: attribute '{}' has {} values; expected {} (one per spatial dim{})",
                         node.describe(), name, v.size(), want, want == 0 ? "" : ", as the input");
  return Status::Ok();
}

}  // namespace

std::string AutoPadName(AutoPad p) {
  switch (p) {
    case AutoPad::kNotSet: return "NOTSET";
    case AutoPad::kSameUpper: return "SAME_UPPER";
    case AutoPad::kSameLower: return "SAME_LOWER";
    case AutoPad::kValid: return "VALID";
  }
  return "?";
}

Result<WindowAttrs> ReadWindowAttrs(const ir::Node& node, int spatial,
                                    const std::vector<int64_t>& kernel_from_weights) {
  WindowAttrs a;
  a.spatial = spatial;
  const size_t n = static_cast<size_t>(spatial);
  if (node.attr("kernel_shape")) {
    a.kernel = node.attr_ints("kernel_shape");
    SAMQ_RETURN_IF_ERROR(CheckLength(node, "kernel_shape", a.kernel, n));
    for (size_t i = 0; i < n; ++i) {
      if (a.kernel[i] <= 0)
        return Status::UserF("{}: kernel_shape[{}] = {} must be positive", node.describe(), i,
                             a.kernel[i]);
      // A kernel_shape that contradicts the weights would make the two kernels disagree.
      if (i < kernel_from_weights.size() && kernel_from_weights[i] >= 0 &&
          kernel_from_weights[i] != a.kernel[i])
        return Status::UserF("{}: kernel_shape[{}] = {} but the weights have {}", node.describe(),
                             i, a.kernel[i], kernel_from_weights[i]);
    }
  } else if (kernel_from_weights.size() == n) {
    a.kernel = kernel_from_weights;
  } else {
    return Status::UserF("{}: attribute 'kernel_shape' is required", node.describe());
  }

  a.strides = node.attr_ints("strides");
  if (a.strides.empty()) a.strides.assign(n, 1);
  SAMQ_RETURN_IF_ERROR(CheckLength(node, "strides", a.strides, n));
  a.dilations = node.attr_ints("dilations");
  if (a.dilations.empty()) a.dilations.assign(n, 1);
  SAMQ_RETURN_IF_ERROR(CheckLength(node, "dilations", a.dilations, n));
  for (size_t i = 0; i < n; ++i) {
    if (a.strides[i] <= 0)
      return Status::UserF("{}: strides[{}] = {} must be positive", node.describe(), i,
                           a.strides[i]);
    if (a.dilations[i] <= 0)
      return Status::UserF("{}: dilations[{}] = {} must be positive", node.describe(), i,
                           a.dilations[i]);
  }

  std::string ap = node.attr_string("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) a.auto_pad = AutoPad::kNotSet;
  else if (ap == "SAME_UPPER") a.auto_pad = AutoPad::kSameUpper;
  else if (ap == "SAME_LOWER") a.auto_pad = AutoPad::kSameLower;
  else if (ap == "VALID") a.auto_pad = AutoPad::kValid;
  else
    return Status::UserF(
        "{}: auto_pad '{}' is not supported; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID",
        node.describe(), ap);

  // Explicit pads only count with auto_pad NOTSET (ONNX forbids both; ONNX Runtime ignores pads).
  a.pads.assign(2 * n, 0);
  if (a.auto_pad == AutoPad::kNotSet && node.attr("pads")) {
    a.pads = node.attr_ints("pads");
    SAMQ_RETURN_IF_ERROR(CheckLength(node, "pads", a.pads, 2 * n));
    for (size_t i = 0; i < 2 * n; ++i)
      if (a.pads[i] < 0)
        return Status::UserF("{}: pads[{}] = {} must not be negative", node.describe(), i,
                             a.pads[i]);
  }
  a.ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  return a;
}

Result<ResolvedWindow> ResolveForwardWindow(const ir::Node& node, const WindowAttrs& a,
                                            const std::vector<int64_t>& in_spatial) {
  ResolvedWindow w;
  const int n = a.spatial;
  w.in = in_spatial;
  w.out.assign(n, -1);
  w.pad_begin.assign(n, 0);
  w.pad_end.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i], s = a.strides[i];
    const int64_t k = a.kernel[i] < 0 ? -1 : DilatedKernel(a.kernel[i], a.dilations[i]);
    if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
      if (in < 0) continue;
      w.out[i] = CeilDiv(in, s);
      if (k < 0) continue;
      const int64_t total = std::max<int64_t>(0, (w.out[i] - 1) * s + k - in);
      // SAME_UPPER puts the odd extra pad at the end, SAME_LOWER at the beginning.
      const int64_t small = total / 2, big = total - total / 2;
      w.pad_begin[i] = a.auto_pad == AutoPad::kSameUpper ? small : big;
      w.pad_end[i] = total - w.pad_begin[i];
      continue;
    }
    if (a.auto_pad == AutoPad::kNotSet) {
      w.pad_begin[i] = a.pads[i];
      w.pad_end[i] = a.pads[i + n];
    }
    if (in < 0 || k < 0) continue;
    const int64_t span = in + w.pad_begin[i] + w.pad_end[i] - k;
    if (span < 0)
      return Status::UserF(
          "{}: spatial dim {} of size {} (padded {}) is smaller than the dilated kernel {}",
          node.describe(), i, in, in + w.pad_begin[i] + w.pad_end[i], k);
    if (a.ceil_mode) {
      w.out[i] = CeilDiv(span, s) + 1;
      // The last window must start inside the input or its begin padding.
      if ((w.out[i] - 1) * s >= in + w.pad_begin[i]) --w.out[i];
    } else {
      w.out[i] = span / s + 1;
    }
  }
  return w;
}

Result<ResolvedWindow> ResolveTransposeWindow(const ir::Node& node, const WindowAttrs& a,
                                              const std::vector<int64_t>& in_spatial) {
  ResolvedWindow w;
  const int n = a.spatial;
  w.in = in_spatial;
  w.out.assign(n, -1);
  w.pad_begin.assign(n, 0);
  w.pad_end.assign(n, 0);

  std::vector<int64_t> out_pad = node.attr_ints("output_padding");
  if (out_pad.empty()) out_pad.assign(n, 0);
  SAMQ_RETURN_IF_ERROR(CheckLength(node, "output_padding", out_pad, n));
  for (int i = 0; i < n; ++i)
    if (out_pad[i] < 0 || out_pad[i] >= std::max(a.strides[i], a.dilations[i]))
      return Status::UserF(
          "{}: output_padding[{}] = {} must be >= 0 and less than the stride or dilation",
          node.describe(), i, out_pad[i]);

  // output_shape may list the spatial dims only, or the whole output shape (N, C, spatial...).
  std::vector<int64_t> out_shape = node.attr_ints("output_shape");
  if (out_shape.size() == static_cast<size_t>(n + 2))
    out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty()) SAMQ_RETURN_IF_ERROR(CheckLength(node, "output_shape", out_shape, n));

  for (int i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i], s = a.strides[i];
    const int64_t k = a.kernel[i] < 0 ? -1 : DilatedKernel(a.kernel[i], a.dilations[i]);
    const bool same = a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower;
    if (!out_shape.empty() || same) {
      // The output size is given; the pads follow from it (ONNX ConvTranspose spec).
      if (!out_shape.empty()) w.out[i] = out_shape[i];
      else if (in >= 0) w.out[i] = in * s;
      if (in < 0 || k < 0 || w.out[i] < 0) continue;
      const int64_t total = s * (in - 1) + out_pad[i] + k - w.out[i];
      if (a.auto_pad == AutoPad::kSameUpper) {
        w.pad_begin[i] = FloorDiv(total, 2);
        w.pad_end[i] = total - w.pad_begin[i];
      } else {
        w.pad_end[i] = FloorDiv(total, 2);
        w.pad_begin[i] = total - w.pad_end[i];
      }
      continue;
    }
    if (a.auto_pad == AutoPad::kNotSet) {
      w.pad_begin[i] = a.pads[i];
      w.pad_end[i] = a.pads[i + n];
    }
    if (in < 0 || k < 0) continue;
    w.out[i] = s * (in - 1) + out_pad[i] + k - w.pad_begin[i] - w.pad_end[i];
    if (w.out[i] < 0)
      return Status::UserF("{}: pads make spatial dim {} of the output negative ({})",
                           node.describe(), i, w.out[i]);
  }
  return w;
}

Result<ConvProblem> MakeConvProblem(const ir::Node& node, const Shape& x, const Shape& w,
                                    bool transpose) {
  if (x.size() < 3)
    return Status::UserF("{}: input must have rank >= 3 (N, C, spatial...), got {}",
                         node.describe(), shape_str(x));
  if (w.size() != x.size())
    return Status::UserF("{}: weights {} must have the input's rank {}", node.describe(),
                         shape_str(w), x.size());
  ConvProblem p;
  const int spatial = static_cast<int>(x.size()) - 2;
  p.group = node.attr_int("group", 1);
  if (p.group <= 0)
    return Status::UserF("{}: group = {} must be positive", node.describe(), p.group);
  SAMQ_ASSIGN_OR_RETURN(p.attrs,
                        ReadWindowAttrs(node, spatial, std::vector<int64_t>(w.begin() + 2, w.end())));
  const std::vector<int64_t> in_spatial(x.begin() + 2, x.end());
  if (transpose) {
    SAMQ_ASSIGN_OR_RETURN(p.window, ResolveTransposeWindow(node, p.attrs, in_spatial));
  } else {
    SAMQ_ASSIGN_OR_RETURN(p.window, ResolveForwardWindow(node, p.attrs, in_spatial));
  }
  p.batch = x[0];
  p.in_channels = x[1];
  const int64_t g = p.group;
  if (!transpose) {
    if (x[1] >= 0 && w[1] >= 0 && x[1] != w[1] * g)
      return Status::UserF("{}: input has {} channels but weights {} with group {} expect {}",
                           node.describe(), x[1], shape_str(w), g, w[1] * g);
    if (w[0] >= 0 && w[0] % g != 0)
      return Status::UserF("{}: {} output channels are not divisible by group {}",
                           node.describe(), w[0], g);
    p.out_channels = w[0];
  } else {
    if (x[1] >= 0 && w[0] >= 0 && x[1] != w[0])
      return Status::UserF("{}: input has {} channels but weights {} expect {}", node.describe(),
                           x[1], shape_str(w), w[0]);
    if (w[0] >= 0 && w[0] % g != 0)
      return Status::UserF("{}: {} input channels are not divisible by group {}",
                           node.describe(), w[0], g);
    p.out_channels = w[1] >= 0 ? w[1] * g : -1;
  }
  p.out_shape = {p.batch, p.out_channels};
  p.out_shape.insert(p.out_shape.end(), p.window.out.begin(), p.window.out.end());
  return p;
}

}  // namespace samq::backends
