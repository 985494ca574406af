// Sliding-window geometry shared by Conv, ConvTranspose and the pooling ops, and by their oneDNN
// twins: reading kernel_shape / strides / dilations / pads / auto_pad, and the output-size
// formulas of the ONNX spec (including auto_pad and ceil_mode), so every kernel resolves a node's
// padding the same way its infer function did.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace samq::backends {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// The window attributes of one node, validated but not yet resolved against an input size.
struct WindowAttrs {
  int spatial = 0;                  // number of spatial dims
  std::vector<int64_t> kernel;      // -1 where unknown (Conv weights of unknown shape)
  std::vector<int64_t> strides;     // default 1
  std::vector<int64_t> dilations;   // default 1
  std::vector<int64_t> pads;        // 2*spatial, ONNX order: all begins then all ends
  AutoPad auto_pad = AutoPad::kNotSet;
  bool ceil_mode = false;           // pooling only
};

// Reads the window attributes. `kernel_from_weights` (spatial entries, -1 where unknown) is used
// when the node has no kernel_shape (Conv/ConvTranspose); pooling passes an empty vector and
// requires kernel_shape. Errors name the node and the attribute.
Result<WindowAttrs> ReadWindowAttrs(const ir::Node& node, int spatial,
                                    const std::vector<int64_t>& kernel_from_weights);

// Effective kernel extent with dilation: (k - 1) * d + 1.
inline int64_t DilatedKernel(int64_t k, int64_t d) { return (k - 1) * d + 1; }

// A window resolved for concrete (or partly unknown, -1) input extents.
struct ResolvedWindow {
  std::vector<int64_t> in, out;                // spatial extents; -1 where unknown
  std::vector<int64_t> pad_begin, pad_end;     // resolved pads (auto_pad applied)
};

// Conv / pooling: out = floor-or-ceil((in + pb + pe - dilated_k) / s) + 1; SAME_*: ceil(in / s)
// with the pad split the spec describes. With ceil_mode the last window must start inside the
// input or its begin padding (the rule ONNX 1.16+ and PyTorch use). A window larger than the
// padded input is a user error naming the node.
Result<ResolvedWindow> ResolveForwardWindow(const ir::Node& node, const WindowAttrs& a,
                                            const std::vector<int64_t>& in_spatial);

// ConvTranspose: out = s*(in-1) + output_padding + dilated_k - pb - pe, or the node's
// output_shape with pads derived from it; SAME_*: out = in*s. Pads may come out negative when
// output_shape asks for more than the natural size (those positions hold only the bias).
Result<ResolvedWindow> ResolveTransposeWindow(const ir::Node& node, const WindowAttrs& a,
                                              const std::vector<int64_t>& in_spatial);

std::string AutoPadName(AutoPad p);

// A Conv or ConvTranspose node resolved against input and weight shapes (-1 dims allowed, for
// static inference; then the dependent values are -1 too).
struct ConvProblem {
  int64_t batch = -1, in_channels = -1, out_channels = -1, group = 1;
  WindowAttrs attrs;
  ResolvedWindow window;
  Shape out_shape;  // N, M, spatial...
};
// Conv weights are [M, C/group, k...]; ConvTranspose weights are [C, M/group, k...].
Result<ConvProblem> MakeConvProblem(const ir::Node& node, const Shape& x, const Shape& w,
                                    bool transpose);

// Floor / ceil division that are also right for negative numerators (b > 0).
inline int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

// The positions p in [0, count) with 0 <= p * stride + offset < limit, as [*lo, *hi). Forward
// windows use it with p = output index, limit = input extent and offset = tap * dilation - pad;
// transposed ones with p = input index and limit = output extent.
inline void StridedValidRange(int64_t count, int64_t stride, int64_t offset, int64_t limit,
                              int64_t* lo, int64_t* hi) {
  *lo = std::max<int64_t>(0, CeilDiv(-offset, stride));
  *hi = std::min<int64_t>(count, FloorDiv(limit - 1 - offset, stride) + 1);
  if (*hi < *lo) *hi = *lo;
}

}  // namespace samq::backends
