// Fuses the channel LayerNorm that SAM's LayerNorm2d exports as nine nodes (mask decoder
// upscaler and mask downscaler, image-encoder necks):
//
//   u = ReduceMean(x, axes=[1], keepdims=1);  d = x - u;  v = ReduceMean(d ^ 2, axes=[1], keepdims=1)
//   y = w * (d / Sqrt(v + eps)) + b          (w, b: constant [C,1,...]; Mul/Add in either order)
//
// into one com.samq LayerNorm2d(x, w, b) node with attribute epsilon (backends/cpu/
// layer_norm_2d.cpp): one pass over the tensor instead of nine, and no ref.ReduceMean / ref.Pow.
// The ReduceMean axes may be an attribute or (opset 18) a constant input; the exponent must be the
// scalar 2 and eps a scalar; every intermediate must be read only inside the pattern (d by the
// Pow and the Div) and not be a graph output; x must be float32 of rank 4 with a known channel
// count C (from `types`), and w, b float32 of shape [C, 1, 1] (what broadcasting makes per-channel
// for a rank-4 x). The fused node takes the final Add's place.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of LayerNorm2d nodes created.
int FuseLayerNorm2d(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
