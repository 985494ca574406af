// com.samq DepthwiseConvNhwc (made by passes/fuse_channels_last_depthwise): schema,
// fast.DepthwiseConvNhwc / fast.qdepthwise_nhwc_x8_qdq_f32 and ref.DepthwiseConvNhwc
// (depthwise_nhwc.cpp).
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends::cpu {

void AddDepthwiseConvNhwcOp(rt::OpRegistry& r);

}  // namespace samq::backends::cpu
