// com.samq RowGather (made by passes/fuse_row_gather): schema, fast.RowGather and ref.RowGather
// (row_gather.cpp).
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::cpu {

void AddRowGatherOp(rt::OpRegistry& r);

}  // namespace samq::backends::cpu
