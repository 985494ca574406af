// Fuses a float32 Conv followed by a com.samq Gelu (from passes/fuse_gelu) into one
// com.samq ConvGelu node (backends/cpu/conv_gelu.h), so the activation is applied while the
// conv's output is in cache rather than in a separate pass over memory (TinyViT's MBConv and
// patch embedding: conv -> GELU on tensors up to 64 MiB).
//
// Conditions: the Conv is in the default domain with float32 initializer weights (so its input
// and output are float32); its output has exactly one reader, the Gelu, and is not a graph
// output; the Gelu has approximate = "none" or "tanh" (EfficientViT's convs: 16 ms of GELU passes
// on the L0 encoder). The fused node keeps the Conv's name, inputs, attributes and position (every
// reader of the Gelu's output comes after it), gets the Gelu's `approximate` when it is "tanh", and
// takes the Gelu's output name.
#pragma once

#include "ir/graph.h"

namespace samq::passes {

// With `conv_transpose`, ConvTranspose -> Gelu likewise becomes com.samq ConvTransposeGelu.
// Returns the number of nodes fused.
int FuseConvGelu(ir::Graph& graph, bool conv_transpose = false);

}  // namespace samq::passes
