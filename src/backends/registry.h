// The op registry samq ships: reference kernels for every supported op, with faster CPU kernels
// in front of them where they exist.
#pragma once

#include "runtime/op_registry.h"

namespace samq::backends {

// The process-wide default registry (built once, immutable afterwards).
const rt::OpRegistry& DefaultRegistry();

// Op families, one file each under backends/reference/ (schemas + reference kernels).
void RegisterElementwiseOps(rt::OpRegistry& r);  // unary, binary with broadcasting, Where, Clip, Cast
void RegisterReductionOps(rt::OpRegistry& r);    // Reduce*, Softmax, LayerNormalization
void RegisterShapeOps(rt::OpRegistry& r);        // Shape, Reshape, Transpose, Concat, Slice, Gather...
void RegisterResizeOps(rt::OpRegistry& r);       // Resize
void RegisterLinalgOps(rt::OpRegistry& r);       // MatMul, Gemm, Einsum
void RegisterNnOps(rt::OpRegistry& r);           // Conv, ConvTranspose, MaxPool
void RegisterQuantOps(rt::OpRegistry& r);        // QuantizeLinear, DequantizeLinear
void RegisterSamqQuantOps(rt::OpRegistry& r);    // com.samq QMatMul, QConv, QuantDequant (samq_qops.cpp)

// Faster CPU kernels (oneDNN and samq's own), added in front of the reference candidates.
void RegisterCpuKernels(rt::OpRegistry& r);

}  // namespace samq::backends
