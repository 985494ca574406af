// com.samq QConvPair: two integer convolutions in a row, the first's output quantized straight
// into the second's codes. Made by passes/fuse_qconv_pair from
//
//   Y1 = QConv[Gelu](X, s1, zp1, W1, sw1[, b1])        (first_op: "QConv" or "QConvGelu")
//   Y  = QConv[Gelu](Y1, s2, zp2, W2, sw2[, b2])       (second_op)
//
// when Y1 has no other reader: QConvPair(X, s1, zp1, W1, sw1, b1, s2, zp2, W2, sw2[, b2]) (b1 may
// be the empty name). Each conv's attributes are carried with the prefix "first_" or "second_"
// (first_strides, second_pads, ...); first_op / second_op name the two nodes' op types.
//
// Why one node: QConv kernels take and give NCHW float32, while oneDNN's integer convolutions
// run on NHWC codes. Between two of them (MobileSAM's patch embedding: 3 -> 32 channels at
// 512 x 512, GELU, 32 -> 64 at 256 x 256) the unfused graph transposes Y1 (32 MiB of float32) to
// NCHW, applies the GELU, and the next conv quantizes and transposes it back. Fused,
// onednn.qconv_pair quantizes the first conv's NHWC result (after its GELU) into the second's
// NHWC codes in one pass: same arithmetic, same bits, no transposes in between.
#pragma once

#include <array>
#include <string>

#include "backends/cpu/qmbconv.h"
#include "runtime/op_registry.h"

namespace samq::backends {

inline constexpr int kQConvPairStageInputs = 5;   // s, zp, W, s_w, bias after the stage's input
inline constexpr int kQConvPairSecondScale = 6;   // inputs 6..10: the second conv's parameters

// The two convs as the QConv / QConvGelu nodes they were fused from, with their static input
// types and constants (the second's first input is the first's output, float32).
std::array<fast::QMBConvStage, 2> SplitQConvPairStages(const rt::KernelBuildInfo& info);
// The same from the node alone (attributes, op types and inputs).
std::array<ir::Node, 2> SplitQConvPairNodes(const ir::Node& node);

rt::KernelCandidate RefQConvPairCandidate();  // ref.QConvPair: the two reference kernels in turn
namespace onednn {
rt::KernelCandidate OnednnQConvPairCandidate();  // onednn_qconv_pair.cpp
}  // namespace onednn

// Registers the schema with onednn.qconv_pair then ref.QConvPair.
void AddQConvPairOp(rt::OpRegistry& r);

}  // namespace samq::backends
