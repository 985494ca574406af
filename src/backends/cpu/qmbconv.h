// com.samq QMBConv: the quantized twin of com.samq MBConv (mbconv.h), made by passes/fuse_qmbconv
// from the three integer convolutions a QDQ MBConv block folds into (passes/fold_qdq_to_integer):
//
//   QMBConv(X, s1, zp1, W1, sw1, b1,      expand:    T = GELU(QConv(X, s1, zp1, W1 [E,C,1,1], sw1, b1))
//              s2, zp2, Wd, swd, bd,      depthwise: D = GELU(QConv(T, s2, zp2, Wd [E,1,K,K], swd, bd))
//              s3, zp3, W3, sw3, b3       project:   Z = QConv(D, s3, zp3, W3 [M,E,1,1], sw3, b3)
//              [, R])                     Y = act(Z [+ R])  (act: GELU when activation = "gelu")
//   attributes: as MBConv (the depthwise conv's strides, pads, dilations; activation)
//
// Each QConv is as com.samq QConv defines it: the float input quantized per tensor (u8 or s8
// codes with scale s and zero point zp) and dequantized, times the int8 weights dequantized with
// their per-channel (or per-tensor) scales, plus the float bias (optional: an empty input).
//
// Why one node: as for MBConv, T and D are 4x the block's channels at full resolution (64 MiB
// each on MobileSAM's first stage); unfused, each integer conv quantizes a whole tensor, writes
// a float one, and the next reads it back. fast.QMBConv (fast_qmbconv.cpp) walks bands of output
// rows with every stage's tensor in cache. ref.QMBConv runs the three ref.QConv / ref.QConvGelu
// kernels one after the other, then the residual and GELU in double: the oracle, and the kernel
// for what the fast one declines.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "backends/cpu/mbconv.h"
#include "runtime/op_registry.h"

namespace samq::backends::fast {

// Input slots: the three stages' (scale, zero point, weights, weight scales, bias) follow X.
inline constexpr int kQMBConvStageInputs = 5;
inline constexpr int kQMBConvResidual = 1 + 3 * kQMBConvStageInputs;  // 16

// One stage of the block as the com.samq QConv / QConvGelu node it was fused from, with what a
// kernel factory would see for it: its static input types and constant inputs.
struct QMBConvStage {
  ir::Node node;
  std::vector<rt::TensorType> types;
  std::vector<const Tensor*> consts;
  rt::KernelBuildInfo Info(int64_t opset, rt::ComputePrecision precision) const {
    return {node, opset, types, consts, precision};
  }
};
// expand, depthwise, project (the project stage is QConvGelu when the block ends in a GELU and
// has no residual, else QConv). Its first input is the previous stage's output.
std::array<QMBConvStage, 3> SplitQMBConvStages(const rt::KernelBuildInfo& info);

// Registers the schema with fast.QMBConv then ref.QMBConv.
void AddQMBConvOp(rt::OpRegistry& r);

rt::KernelCandidate RefQMBConvCandidate();

// fast_qmbconv.cpp: declines without an exact int8 GEMM (VNNI), non-constant parameters, depthwise
// kernels other than 3/5/7 with stride 1/2.
std::unique_ptr<rt::Kernel> MakeFastQMBConv(const rt::KernelBuildInfo& info, std::string* why);

}  // namespace samq::backends::fast
