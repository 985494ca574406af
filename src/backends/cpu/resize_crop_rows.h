// The arithmetic of com.samq ResizeCropResize's fast path: Resize -> crop -> Resize of float32
// planes, computed row by row without materializing the first resize or the crop.
//
// SAM-1's decoder ends with Resize(256² -> 1024²) -> Slice(to the un-padded area, e.g. 683x1024)
// -> Resize(to the original image, e.g. 1200x1800). Each stage is separable and linear, so output
// row Y needs only the two crop rows its vertical taps name, and each crop row only the two input
// rows (or their column gathers) of the first stage: a thread walks its output rows in order,
// keeping the last two crop rows it made. No 1024² image and no crop copy are written.
//
// Same numerics as running ref.Resize, the crop and ref.Resize, for finite inputs: the same taps
// and weights (resize_taps.h), each 1-D pass computed as w0 * a + w1 * b, the axes of each stage in
// the reference's order. A one-tap output is computed as w0 * a + 0 * a, which equals w0 * a for
// every finite a (only the sign of a zero result may differ). The .cpp is built with
// -ffp-contract=off (CMakeLists.txt): GCC would otherwise fuse w0 * a + w1 * b into an FMA in the
// AVX-512 paths and round differently from the reference.
#pragma once

#include <cstdint>

#include "backends/cpu/resize_taps.h"

namespace samq::backends::cpu {

// The crop window of the first stage's output that the second stage reads (rows [y0, y0 + h),
// columns [x0, x0 + w)); second.in_h/in_w must equal h/w.
struct CropWindow {
  int64_t y0 = 0, x0 = 0, h = 0, w = 0;
};

// `in`: planes x first.in_h x first.in_w; `out`: planes x second.out_h x second.out_w.
// Rows run in parallel (core/parallel.h).
void ResizeCropResizePlanes(const float* in, int64_t planes, const TwoTapPlan& first, const CropWindow& crop,
                            const TwoTapPlan& second, float* out);

}  // namespace samq::backends::cpu
