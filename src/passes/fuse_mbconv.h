// Fuses an inverted-residual block, 1x1 expand -> depthwise KxK -> 1x1 project (TinyViT's MBConv
// and PatchMerging in MobileSAM's encoder, EfficientViT's MBConv), into one com.samq MBConv node
// (backends/cpu/mbconv.h), whose kernel never writes the expanded tensors out in full.
//
// The pattern, after passes/fuse_conv_gelu:
//   T = ConvGelu(X, W1, B1)        1x1, stride 1, unpadded, group 1
//   D = ConvGelu(T, Wd, Bd)        depthwise: Wd [E, 1, K, K], group E, explicit pads
//   Z = Conv(D, W3, B3)            1x1, stride 1, unpadded, group 1 (or ConvGelu: activation gelu)
//   [ A = Add(Z, X) [ -> Gelu ] ]  the residual (when Z has X's shape), then optionally a GELU
// W1, Wd, W3 are float32 initializers; all three convs have a bias; T, D (and Z, A when folded)
// have no other reader and are not graph outputs; every GELU has the same `approximate`. The
// fused node takes the place of the pattern's last node and its output name.
//
// The quantized twin (FuseQMBConv), after passes/fold_qdq_to_integer and passes/fuse_qconv_gelu:
// the same pattern of com.samq QConvGelu, QConvGelu (depthwise), QConv | QConvGelu with int8
// initializer weights (biases optional, erf GELU only) becomes one com.samq QMBConv
// (backends/cpu/qmbconv.h) with each conv's s_x, zp_x, W, s_w, bias in turn.
#pragma once

#include "ir/graph.h"

namespace samq::passes {

// Returns the number of MBConv nodes made.
int FuseMBConv(ir::Graph& graph);
// Returns the number of QMBConv nodes made.
int FuseQMBConv(ir::Graph& graph);

}  // namespace samq::passes
