// com.samq MaxPoolNhwc (made by passes/fuse_channels_last_pool): schema, fast.MaxPoolNhwc and
// ref.MaxPoolNhwc (max_pool_nhwc.cpp).
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::cpu {

void AddMaxPoolNhwcOp(rt::OpRegistry& r);

}  // namespace samq::backends::cpu
