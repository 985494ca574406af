// Fuses Resize -> Slice (1 to 4) -> Resize chains into one com.samq ResizeCropResize node
// (backends/cpu/resize_crop_resize.h), so the first Resize's output and the crops are never
// materialized. SAM-1's decoder ends with such a chain: low-res masks 256² -> 1024² -> crop to the
// un-padded area -> the original image size, ~2/3 of the pixels it writes.
//
// Matched: both Resizes in the default domain with linear mode and their input form (opset >= 11:
// X, roi, scales, sizes), Slices with their input form (opset >= 10: data, starts, ends, axes,
// steps). Every intermediate value must not be a graph output and may be read only by the next
// node of the chain and by Shape nodes: each such Shape becomes a com.samq ResizeCropShape node
// (same output, computed from the chain's inputs) — the decoder builds the second Resize's sizes
// from the crop's shape, so the crop must stay measurable without being made.
//
// The fused node takes the place of the second Resize (every input is defined before it); each
// ResizeCropShape takes its Shape node's place. Whether the fast kernel can compute the chain
// directly depends on sizes known only at run time; when it cannot, it runs the original chain.
#pragma once

#include <cstdint>

#include "ir/graph.h"

namespace samq::passes {

// Input layout of com.samq ResizeCropResize: X, then the first Resize's roi, scales, sizes, the
// second Resize's roi, scales, sizes, then starts, ends, axes, steps for each Slice in order.
inline constexpr int kCropFirstResizeInputs = 1;
inline constexpr int kCropSecondResizeInputs = 4;
inline constexpr int kCropFirstSliceInput = 7;
// ResizeCropShape: X, the first Resize's roi, scales, sizes, then the Slices as above.
inline constexpr int kCropShapeFirstSliceInput = 4;
inline constexpr int kCropMaxSlices = 4;
// Attribute prefixes of the first and second Resize's attributes on the fused node.
inline constexpr const char* kCropFirstPrefix = "first_";
inline constexpr const char* kCropSecondPrefix = "second_";

// Returns the number of ResizeCropResize nodes created. `opset`: the default domain's opset.
int FuseResizeCrop(ir::Graph& graph, int64_t opset);

}  // namespace samq::passes
