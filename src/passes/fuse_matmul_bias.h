// Fuses a float32 linear layer as PyTorch exports it, MatMul(X, W) -> Add(bias) [-> com.samq
// Gelu], into one com.samq MatMulBias(X, W, B) node, attribute activation = "none" | "gelu"
// (backends/cpu/matmul_bias.h). oneDNN then adds the bias (and applies the erf GELU) to each
// output tile while it is in registers, instead of the Add (and Gelu) each making another pass
// over an activation of up to [4096, 3072] floats (ViT-B's MLP).
//
// Conditions: the MatMul is in the default domain and W is a float32 2-D initializer; the Add
// (default domain, either operand order) adds a float32 initializer B broadcast over the last
// dim only (shape [..., 1, N] with N = W's columns); the MatMul output, and the Add output when
// a Gelu is folded too, have exactly one reader and are not graph outputs; the Gelu has
// approximate = "none". The fused node keeps the MatMul's name and position (X, W and B are all
// defined before it) and takes the last fused node's output name.
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int FuseMatMulBias(ir::Graph& graph);  // returns the number of MatMulBias nodes created

}  // namespace samq::passes
