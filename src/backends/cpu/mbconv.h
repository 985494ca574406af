// com.samq MBConv: an inverted-residual ("MBConv") block of 1x1 expand -> depthwise KxK -> 1x1
// project as one node, as TinyViT (MobileSAM's encoder) and EfficientViT export it
// (passes/fuse_mbconv makes it).
//
//   MBConv(X [N, C, H, W], W1 [E, C, 1, 1], B1 [E], Wd [E, 1, K, K], Bd [E], W3 [M, E, 1, 1], B3 [M]
//          [, R [N, M, OH, OW]]) -> Y [N, M, OH, OW]
//   attributes: strides, pads, dilations (of the depthwise conv, as Conv's; dilations all 1),
//               approximate ("none": erf GELU, the default; "tanh"), activation ("none" | "gelu")
//
//   T = GELU(Conv(X, W1, B1));  D = GELU(DepthwiseConv(T, Wd, Bd));  Z = Conv(D, W3, B3)
//   Y = act(Z [+ R])          (act: GELU when activation = "gelu", else identity)
//   TinyViT's block: R = X and activation gelu (the residual, then the block's last GELU);
//   its PatchMerging: no R (a stride-2 depthwise conv).
//
// Why one node: T and D have E = 4C channels at the block's full resolution: 64 MiB each for
// MobileSAM's first stage (256 channels at 256 x 256), written and read back by three nodes, and
// the depthwise conv between them is pure memory traffic. The fast kernel walks each thread down
// a band of output rows: the expanded rows the depthwise window still needs stay in a small
// buffer (1x1 expand as a GEMM on just the new rows), the depthwise output of a few rows stays in
// cache, and the projection, bias, residual and GELU are applied to those rows before moving on.
// ref.MBConv is the three convolutions in double, one after the other: the oracle.
#pragma once

#include <memory>
#include <string>

#include "runtime/op_registry.h"

namespace samq::backends::fast {

// Registers the schema with fast.MBConv then ref.MBConv.
void AddMBConvOp(rt::OpRegistry& r);

// ref.MBConv (the fast kernel's fallback for shapes it was not built for).
rt::KernelCandidate RefMBConvCandidate();

// fast_mbconv.cpp: the fast kernel's factory (declines non-constant weights, kernel sizes other
// than 3/5/7, strides other than 1/2).
std::unique_ptr<rt::Kernel> MakeFastMBConv(const rt::KernelBuildInfo& info, std::string* why);

// The block's geometry, from the weights' and the input's shapes and the node's attributes.
struct MBConvDims {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t e = 0, k = 0, m = 0;         // expanded channels, depthwise kernel size, output channels
  int64_t stride = 1, pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t oh = 0, ow = 0;              // output plane
};
// Checks the operand shapes (dims < 0 are unknown and pass) and fills the geometry.
Result<MBConvDims> GetMBConvDims(const ir::Node& node, const Shape& x, const Shape& w1, const Shape& wd,
                                 const Shape& w3);

// Shape inference's last step for MBConv and QMBConv: the float32 output [N, M, OH, OW], after
// checking the known dims of the residual input (when the node has it) against it.
Status SetMBConvOutput(rt::InferContext& ctx, const MBConvDims& d, int residual_input);

}  // namespace samq::backends::fast
