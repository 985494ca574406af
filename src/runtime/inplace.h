// In-place execution of elementwise nodes: the memory half of the session's buffer plan.
//
// A node whose op computes out[i] from its inputs' element i alone (same-index reads before the
// write) may write its output over an input buffer when that input dies at this node. On SAM
// ViT-B this is what keeps the global-attention chain (scores -> Add rel_h -> Add rel_w ->
// Softmax, each 12x4096x4096 float = 805 MB) in one buffer instead of two or three.
//
// The decision is split: at compile time, which inputs of a node may be reused (op allow-list,
// last use, not a constant, not a graph output); at run time, whether the buffer really is free to
// take (same dtype and shape as the output, dense at offset 0, and no other tensor — a feed held
// by the caller, a view, a calibration tap's copy — shares it).
#pragma once

#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace samq::rt {

// Ops whose every kernel (reference and fast) must stay safe to run with output == an input of
// the output's shape. Kernels for these ops: read element i (or, for Softmax, a whole row) of
// the inputs before writing element i (row) of the output, never the other way round.
bool OpMayRunInPlace(const ir::Node& node);

// Run-time check: may `input` be handed out as the output buffer for (dtype, shape)?
bool CanReuseForOutput(const Tensor& input, DType dtype, const Shape& shape);

}  // namespace samq::rt
