// TinyViT (MobileSAM's encoder) runs a depthwise 3x3 "local conv" between the attention and the
// MLP of every block, and exports it on the token layout [B, L, C] as
//
//   t = Transpose(x, perm=[0, 2, 1]);  r = Reshape(t, [B, C, H, W]);  y = Conv(r)  (group = C)
//   z = Reshape(y, [B, C, L']);         out = Transpose(z, perm=[0, 2, 1])
//
// (a QDQ model has the folded com.samq QConv in the Conv's place). This pass replaces the five
// nodes by Reshape(x, [B, H, W, C]) -> com.samq DepthwiseConvNhwc -> Reshape([B, L', C])
// (backends/cpu/depthwise_nhwc.h): both reshapes are free views, neither transposed copy is
// written, and the stencil reads contiguous channel runs. A QConv's int8 weights are dequantized
// once here with ref.QConv's formula, and its activation scale and zero point go along, so the
// fused node quantize-dequantizes x exactly as the QConv did. It fires only on depthwise convs
// (group = C = output channels, weights [C, 1, KH, KW]) with constant weights and bias, explicit
// pads, no dilation, float32 static shapes, and when every intermediate value has the next node
// as its only reader (not a graph output).
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of DepthwiseConvNhwc nodes created.
int FuseChannelsLastDepthwise(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
