// Lets each com.samq Attention read Q, K and V where the qkv projection wrote them and write Y
// where the output projection reads it, removing the layout ops the exporters put in between:
//
//   qkv [B, N, 3*C] -> Reshape [B, N, 3, heads, d] -> Split / Squeeze -> Transpose -> Q, K, V
//   Y [B, heads, N, d] -> Transpose [B, N, heads, d] -> Reshape [B, N, C] -> proj
//
// (Hiera; TinyViT splits per head, SAM ViT transposes before splitting: all are chains of
// Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Identity and one output of a Split). Each such
// op only moves elements, so the whole chain is a strided view of its source (StridedView); the
// node gets the strided form of com.samq Attention (backends/cpu/sam_attention.h) with the
// chain's source as its input and the view as an attribute. On the output side the chain must
// be single-reader links ending in a tensor T, which the node then writes directly (its chain
// nodes are removed). Input-side chain nodes are left in place; the dead-node pass removes those
// nothing else reads (Q/K/V of TinyViT and Hiera: the whole qkv split).
//
// An operand whose chain cannot be expressed (dims unknown, an uneven reshape, Q/V/Y columns that
// are not contiguous, which the fast kernel needs) keeps a shorter chain or its own tensor.
// Nodes where nothing changes are left in their plain form.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of Attention nodes rewritten to the strided form.
int FoldAttentionLayouts(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
