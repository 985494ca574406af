// Resize, split in two files: resize.cpp reads attributes and inputs and computes the output
// geometry (shared by infer and the kernel); resize_interp.cpp does the interpolation.
//
// The numerics follow ONNX Runtime's CPU kernel, which is the oracle for samq's tests:
// coordinates are computed in float32, an axis whose scale is exactly 1 maps output i to input i,
// linear/cubic clamp to the edge (or, with exclude_outside, drop and renormalize taps outside the
// input), and antialiasing widens the filter by 1/scale when downsampling (Pillow's scheme).
#pragma once

#include <vector>

#include "runtime/kernel.h"

namespace samq::backends {

enum class ResizeMode { kNearest, kLinear, kCubic };
enum class ResizeCoord {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};
// kSimple: Resize-10's rule (no nearest_mode yet): ceil when downsampling, truncate otherwise.
enum class ResizeNearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  AspectPolicy policy = AspectPolicy::kStretch;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  bool antialias = false;
  float extrapolation_value = 0.0f;
  std::vector<int64_t> axes;  // as written (not normalized); empty = all
};

// Where the optional inputs sit: opset 10 has (X, scales); 11+ has (X, roi, scales, sizes).
struct ResizeInputs {
  int roi = -1, scales = -1, sizes = -1;
};

Result<ResizeAttrs> ReadResizeAttrs(const ir::Node& node, int64_t opset);
ResizeInputs ResizeInputSlots(int64_t opset);

struct ResizeGeometry {
  Shape out;                             // -1 where not known (compile time)
  std::vector<float> scales;             // per dim; out/in when sizes were given
  // Per dim, the un-floored resized length (in * scale with scales, out with sizes): what
  // align_corners and tf_crop_and_resize divide by, as the ONNX reference implementation does.
  std::vector<float> resized_len;
  std::vector<float> roi_start, roi_end; // per dim, only used by tf_crop_and_resize
};

// `roi`, `scales`, `sizes`: the values (null when absent or empty). `in` may hold -1 dims, which
// give -1 output dims.
Result<ResizeGeometry> ComputeResizeGeometry(const ir::Node& node, const ResizeAttrs& a, const Shape& in,
                                             const Tensor* roi, const Tensor* scales, const Tensor* sizes);

// The interpolation itself (resize_interp.cpp); `out` is allocated with the geometry's shape.
Status ResizeNearestKernel(const ResizeAttrs& a, const ResizeGeometry& g, const Tensor& in, Tensor& out);
Status ResizeFilterKernel(const ir::Node& node, const ResizeAttrs& a, const ResizeGeometry& g,
                          const Tensor& in, Tensor& out);

// x_resized -> x_original along one axis (float32 math, as ONNX Runtime). `len_resized` is the
// output length, `resized_len` the un-floored one (see ResizeGeometry).
float ResizeOriginalCoordinate(ResizeCoord c, float x, float scale, int64_t len_resized, float resized_len,
                               int64_t len_original, float roi_start, float roi_end);

}  // namespace samq::backends
