// Fuses two integer convolutions in a row into one com.samq QConvPair (backends/cpu/qconv_pair.h),
// whose kernel hands the first conv's result to the second as NHWC codes instead of an NCHW
// float32 tensor that one side transposes and the other transposes back.
//
// The pattern, after passes/fold_qdq_to_integer and passes/fuse_qconv_gelu (and after FuseQMBConv,
// which takes the convs of MBConv blocks first):
//   Y1 = QConv | QConvGelu (X, s1, zp1, W1, sw1[, b1])
//   Y  = QConv | QConvGelu (Y1, s2, zp2, W2, sw2[, b2])
// both com.samq, each with 5 or 6 inputs (no requantized output), Y1 read by the second conv only
// (input 0) and not a graph output, every s, zp, W, sw and b an initializer, W int8 of rank 4.
// Only dense spatial convolutions (group 1, a kernel larger than 1 x 1) are fused: pointwise and
// depthwise convs have faster NCHW kernels of their own (onednn.qconv1x1_nchw, fast.qconv_dw),
// which a pair would replace with the generic NHWC convolution. MobileSAM's patch embedding
// (3 -> 32 -> 64 channels, 3 x 3 stride 2) is the case this is for.
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int FuseQConvPair(ir::Graph& graph);  // returns the number of QConvPair nodes made

}  // namespace samq::passes
