// The two-tap form of a float32 linear Resize over the last two axes, shared by
// cpu.resize_linear_f32 (resize_bilinear.cpp) and the fused com.samq ResizeCropResize kernel
// (resize_crop_resize.cpp).
//
// The taps and weights are built by the reference rule (resize_interp.cpp: Pillow-style filter
// with support 1, clamped at the edges, normalized), so a kernel that computes each 1-D pass as
// w0 * a + w1 * b, and applies the axes in the reference's order, reproduces ref.Resize.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "backends/reference/resize_impl.h"
#include "core/tensor.h"

namespace samq::backends::cpu {

// One axis: output i = w0[i] * in[lo[i]] (+ w1[i] * in[lo[i] + 1] when two[i]).
struct TwoTapAxis {
  std::vector<int64_t> lo;
  std::vector<float> w0, w1;
  std::vector<uint8_t> two;  // second tap present
};

// The reference filter of axis `d` (linear mode, no widening); false when some output needs more
// than two taps.
bool BuildTwoTapAxis(const ResizeAttrs& a, const ResizeGeometry& g, int d, int64_t in_len, TwoTapAxis* f);

// A Resize of a float32 tensor that touches only its last two axes, as two two-tap axes.
struct TwoTapPlan {
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  TwoTapAxis fy, fx;
  // The reference resamples the axis with the smaller out/in ratio first (stable on ties):
  // true = the rows (axis -2) first.
  bool rows_first = true;
};

// The plan, or nullopt when the Resize is not of that kind: another dtype or mode,
// tf_crop_and_resize, antialiased shrinking (a widened filter), resized leading axes, an empty
// tensor, or more than two taps somewhere.
std::optional<TwoTapPlan> PlanTwoTapResize(const ResizeAttrs& a, const ResizeGeometry& g, DType dtype,
                                           const Shape& in_shape);

}  // namespace samq::backends::cpu
