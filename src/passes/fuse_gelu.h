// Fuses the GELU subgraphs that PyTorch exports into one com.samq Gelu node, so the activation
// is one pass over the tensor instead of five (erf form) or nine (tanh form):
//
//   erf:  0.5 * (x * (1 + Erf(x / sqrt(2))))                (x * (1/sqrt(2)) accepted too)
//   tanh: 0.5 * (x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))))   (x^3 as x*(x*x) or Pow)
//
// Binary ops match in either operand order; the constants must be scalar float initializers
// within 1e-5 (relative) of the exact values; every intermediate value must have exactly one
// reader and not be a graph output. The fused node is
//   com.samq Gelu(x) -> y, attribute approximate = "none" | "tanh"  (ONNX Gelu-20 semantics)
// and is placed where the last Mul was (x is defined before it, so the order stays topological).
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int FuseGelu(ir::Graph& graph);  // returns the number of Gelu nodes created

}  // namespace samq::passes
