// com.samq LayerNorm2d (the channel LayerNorm of SAM's LayerNorm2d, made by
// passes/fuse_layer_norm_2d): schema, fast.LayerNorm2d and ref.LayerNorm2d (layer_norm_2d.cpp).
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::cpu {

void AddLayerNorm2dOp(rt::OpRegistry& r);

}  // namespace samq::backends::cpu
