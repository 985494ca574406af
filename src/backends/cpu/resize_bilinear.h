// Fast float32 bilinear Resize (resize_bilinear.cpp): candidate "cpu.resize_linear_f32", in front
// of ref.Resize, bit-identical to it on the cases it takes.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::cpu {

void AddFastResizeKernel(rt::OpRegistry& r);

}  // namespace samq::backends::cpu
