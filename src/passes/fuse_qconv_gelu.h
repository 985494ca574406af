// Fuses a com.samq QConv (made by passes/fold_qdq_to_integer) followed by a com.samq Gelu (erf
// form, from passes/fuse_gelu) into one com.samq QConvGelu node (backends/cpu/qconv_gelu.h), so
// the GELU runs while the convolution's output is still in cache instead of as another pass
// over memory (TinyViT's MBConv in a quantized MobileSAM: QConv -> GELU on tensors up to 64 MiB).
//
// The int8 twin of passes/fuse_conv_gelu. Conditions: the QConv's output has exactly one
// reader, the Gelu, and is not a graph output; the Gelu has approximate = "none". The fused node
// keeps the QConv's name, inputs, attributes and position, and takes the Gelu's output name.
// A com.samq QMatMul (MLP fc1 -> GELU) becomes com.samq QMatMulGelu the same way.
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int FuseQConvGelu(ir::Graph& graph);  // returns the number of QConvGelu + QMatMulGelu nodes created

}  // namespace samq::passes
