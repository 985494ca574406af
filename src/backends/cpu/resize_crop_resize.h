// com.samq ResizeCropResize and com.samq ResizeCropShape: the ops that passes/fuse_resize_crop
// makes of a Resize -> Slice (1 to 4 of them) -> Resize chain, such as the end of SAM-1's decoder.
//
//   ResizeCropResize(X, first_roi, first_scales, first_sizes, second_roi, second_scales,
//                    second_sizes, {starts, ends, axes, steps} x K) -> Y
//     = Resize_second(Slice_K(... Slice_1(Resize_first(X)))), with the Resizes' attributes stored
//     under "first_" / "second_" prefixes. Omitted optional inputs are "".
//   ResizeCropShape(X, first_roi, first_scales, first_sizes, {starts, ends, axes, steps} x K) -> S
//     = Shape(Slice_K(... Resize_first(X))) (with the Shape's own start/end attributes, if any):
//     the graph may read the crop's shape (the SAM decoder builds the second Resize's sizes from
//     it), and this gives it without the crop.
//
// Shape inference composes the Resize and Slice schemas' own infer functions, so both ops type
// exactly as the chain they replace. Kernels:
//   cpu.resize_crop_resize_f32 — float32, both Resizes two-tap linear over the last two axes, the
//     Slices unit-step crops of those axes: computes Y from X row by row (resize_crop_rows.h), as
//     exact as the chain. Any other case (known only at run time: the sizes usually come from
//     inputs) runs the chain node by node with the registry's kernels.
//   ref.ResizeCropResize / ref.ResizeCropShape — the chain with the reference kernels.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::cpu {

// Registers both schemas; needs the Resize and Slice schemas in `r` already. The kernels keep a
// pointer to `r` (to run the chain), so `r` must outlive every session built from it.
void AddResizeCropKernels(rt::OpRegistry& r);

}  // namespace samq::backends::cpu
