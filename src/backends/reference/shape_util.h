// Helpers shared by the shape and data-movement ops (Reshape, Transpose, Concat, Slice, Pad,
// Gather, Resize...): reading shape-like inputs, normalizing axes, and moving elements by their
// byte size so that one kernel serves every dtype.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/kernel.h"
#include "runtime/op_registry.h"

namespace samq::backends {

// Per-file registration functions, combined by RegisterShapeOps (shape_ops.cpp).
void RegisterShapeViewOps(rt::OpRegistry& r);    // shape_ops.cpp: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Identity
void RegisterConstantOps(rt::OpRegistry& r);     // constant_ops.cpp: Constant, ConstantOfShape, Range, EyeLike
void RegisterTransposeOps(rt::OpRegistry& r);    // transpose.cpp: Transpose, DepthToSpace, SpaceToDepth
void RegisterConcatSplitOps(rt::OpRegistry& r);  // concat_split.cpp: Concat, Split
void RegisterSliceOps(rt::OpRegistry& r);        // slice.cpp: Slice
void RegisterPadOps(rt::OpRegistry& r);          // pad.cpp: Pad, CenterCropPad
void RegisterGatherOps(rt::OpRegistry& r);       // gather.cpp: Gather, GatherElements, GatherND
void RegisterScatterOps(rt::OpRegistry& r);      // scatter.cpp: ScatterND, ScatterElements
void RegisterExpandTileOps(rt::OpRegistry& r);   // expand_tile.cpp: Expand, Tile, Trilu

// "node 'x' (Op): " + message, as a user error (for helpers that only have the node).
template <typename... Args>
Status NodeError(const ir::Node& node, fmt::format_string<Args...> f, Args&&... args) {
  return Status::User(node.describe() + ": " + fmt::format(f, std::forward<Args>(args)...));
}

// Dense row-major element strides of `dims`.
Shape ContiguousStrides(const Shape& dims);

// Product of dims[begin, end); -1 if any of them is unknown (< 0).
int64_t DimProduct(const Shape& dims, size_t begin, size_t end);

// The values of an integer input (int64, int32, ...); a user error naming `what` otherwise.
Result<std::vector<int64_t>> ReadInts(const ir::Node& node, const Tensor& t, std::string_view what);

// Axes normalized into [0, rank) (negative axes count from the back); a user error naming
// `what` if one is out of range or (when `unique`) repeated.
Result<std::vector<int64_t>> NormalizeAxes(const ir::Node& node, std::vector<int64_t> axes,
                                           int64_t rank, std::string_view what, bool unique = true);

// An input given as an attribute before some opset and as an input from then on (Squeeze axes,
// Split split, Pad pads...): the input's values when it is present and known, else the
// attribute's. `*known` is false when the input is present but its value is not known yet
// (compile time), `*present` whether either form was given.
struct IntsArg {
  bool present = false;
  bool known = false;
  std::vector<int64_t> values;
};
Result<IntsArg> ReadIntsArg(const rt::InferContext& ctx, int input, std::string_view attr);
Result<IntsArg> ReadIntsArg(const rt::KernelContext& ctx, int input, std::string_view attr);

// Status for a dtype these data-movement kernels cannot hold (strings).
Status CheckMovableDtype(const ir::Node& node, DType t);

// Copies `count` elements of `elem` bytes each (a tiny memcpy for the common sizes).
inline void CopyElement(void* dst, const void* src, size_t elem) {
  switch (elem) {
    case 1: *static_cast<uint8_t*>(dst) = *static_cast<const uint8_t*>(src); return;
    case 2: std::memcpy(dst, src, 2); return;
    case 4: std::memcpy(dst, src, 4); return;
    case 8: std::memcpy(dst, src, 8); return;
    default: std::memcpy(dst, src, elem); return;
  }
}
// Writes `count` copies of the element at `value` (elem bytes) to dst.
void FillElements(void* dst, const void* value, int64_t count, size_t elem);

// out = in transposed by `perm` (out dim j = in dim perm[j]), elements of `elem` bytes.
// Dims that stay in order are merged first; a contiguous innermost run is copied with memcpy,
// otherwise a blocked 2-D transpose is used. Parallel over the outer dims.
void TransposeBytes(const void* in, const Shape& in_dims, const std::vector<int64_t>& perm,
                    size_t elem, void* out);

// Strided copy of a box: out (dense, `out_dims`) [i0..] = in[offset + sum_k i_k * in_strides[k]]
// with strides in elements (may be negative, as for Slice with negative steps).
void StridedCopyBytes(const void* in, int64_t in_offset, const Shape& in_strides,
                      const Shape& out_dims, size_t elem, void* out);

}  // namespace samq::backends
