// Per-file registration functions of the elementwise / reduction families, combined by
// register_elementwise.cpp into the Register*Ops entry points of backends/registry.h.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends {

void RegisterUnaryOps(rt::OpRegistry& r);            // elementwise_unary.cpp
void RegisterBinaryOps(rt::OpRegistry& r);           // elementwise_binary.cpp
void RegisterElementwiseMiscOps(rt::OpRegistry& r);  // elementwise_misc.cpp: Where, Clip, variadic
void RegisterCastOps(rt::OpRegistry& r);             // cast.cpp: Cast, CastLike
void RegisterReduceOps(rt::OpRegistry& r);           // reduction.cpp: Reduce*, ArgMax, ArgMin
void RegisterSoftmaxOps(rt::OpRegistry& r);          // softmax.cpp
void RegisterLayerNormOps(rt::OpRegistry& r);        // layer_norm.cpp

}  // namespace samq::backends
