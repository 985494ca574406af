// Hiera (SAM 2) pools its tokens channels-last but exports each pool as
//
//   t = Transpose(x, perm=[0, 3, 1, 2]);  p = MaxPool(t);  y = Transpose(p, perm=[0, 2, 3, 1])
//
// (NHWC -> NCHW, pool, back). This pass replaces the three nodes by one com.samq
// MaxPoolNhwc(x) (backends/cpu/max_pool_nhwc.h) with the MaxPool's kernel_shape and strides, so
// neither transposed copy is written and the pool reads contiguous channel runs. It fires only
// when x is float32, t and p are read by the next node alone (not graph outputs), and the MaxPool
// is 2-D without padding, dilation, ceil mode or an Indices output. The fused node takes the
// last Transpose's place.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

// Returns the number of MaxPoolNhwc nodes created.
int FuseChannelsLastPool(ir::Graph& graph, const std::map<std::string, ir::TensorType>& types);

}  // namespace samq::passes
