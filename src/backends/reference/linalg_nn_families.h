// Per-file registration functions of the linear-algebra and NN families (combined by
// register_linalg_nn.cpp into RegisterLinalgOps / RegisterNnOps), and the reference candidates
// that the faster CPU kernels fall back to when a shape is outside what they handle.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends {

void RegisterMatMulOps(rt::OpRegistry& r);         // matmul.cpp: MatMul
void RegisterGemmOps(rt::OpRegistry& r);           // gemm.cpp: Gemm
void RegisterEinsumOps(rt::OpRegistry& r);         // einsum.cpp: Einsum
void RegisterConvOps(rt::OpRegistry& r);           // conv.cpp: Conv
void RegisterConvTransposeOps(rt::OpRegistry& r);  // conv_transpose.cpp: ConvTranspose
void RegisterPoolOps(rt::OpRegistry& r);           // pool.cpp: MaxPool, AveragePool, Global*Pool
void RegisterNormOps(rt::OpRegistry& r);           // batch_norm.cpp: BatchNormalization, InstanceNormalization

// The "ref.<Op>" candidates, also used by oneDNN kernels as their per-shape fallback.
rt::KernelCandidate RefMatMulCandidate();
rt::KernelCandidate RefGemmCandidate();
rt::KernelCandidate RefConvCandidate();
rt::KernelCandidate RefConvTransposeCandidate();

}  // namespace samq::backends
