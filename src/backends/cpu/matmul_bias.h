// com.samq MatMulBias(X, W, B) = MatMul(X, W) + B, then Gelu (erf form) when attribute
// activation = "gelu" ("none" by default). passes/fuse_matmul_bias makes it from a float32 linear
// layer (constant 2-D W; B one value per output column, [..., 1, N]); the output shape is that
// of the Add it replaces (MatMul's, with leading 1s where B has the higher rank).
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends {

// ref.MatMulBias: ref.MatMul, then the bias added in float32 (as ref.Add does), then GELU in
// double with libm (as ref.Gelu does): exactly the unfused nodes' arithmetic.
rt::KernelCandidate RefMatMulBiasCandidate();

// The com.samq MatMulBias schema with its candidates, fastest first: onednn.matmul_bias_f32,
// ref.MatMulBias. Needs MatMul registered first (its shape inference is reused).
void AddMatMulBiasOp(rt::OpRegistry& r);

namespace onednn {
rt::KernelCandidate OnednnMatMulBiasCandidate();  // onednn_matmul_bias.cpp
}  // namespace onednn

}  // namespace samq::backends
