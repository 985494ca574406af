// Folds the QDQ groups of a quantized ONNX model (samq's own, ONNX Runtime's quantize_static,
// NVIDIA ModelOpt) into samq's internal integer ops, so that a quantized MatMul / Gemm / Conv
// runs on an integer kernel instead of dequantize -> float op.
//
// A group is
//   A: x(float) -> QuantizeLinear(s_x, zp_x) -> DequantizeLinear(s_x, zp_x)
//   W: DequantizeLinear(int8 initializer, s_w[, 0])
//   MatMul(A, W) | Gemm(A, W[, bias]) | Conv(A, W[, bias])
//   bias: a float initializer, or DequantizeLinear(int32 initializer)
// with per-tensor u8/s8 activations and per-tensor or per-output-channel symmetric int8 weights
// (a float initializer -> Q -> DQ weight is quantized here, at load). MatMul may absorb a following
// Add of a float [N] initializer. The group becomes one node of domain "com.samq":
//   QMatMul(x, s_x, zp_x, W_int8[K,N], s_w[N or 1], bias?)                 -> float
//   QConv  (x, s_x, zp_x, W_int8[M,C/g,kh,kw], s_w[M or 1], bias?, Conv attributes) -> float
// It takes the float activation and quantizes it inside the kernel (the Q is fused), and
// produces float: a QuantizeLinear -> DequantizeLinear pair after it (the requantized output)
// stays in the graph and becomes a QuantDequant node (below), which is exact and cheap; the
// original Q/DQ nodes die when nothing else reads them.
//
// Any remaining Q -> DQ pair with per-tensor u8/s8 parameters becomes
//   QuantDequant(x, s, zp) -> float   = DequantizeLinear(QuantizeLinear(x))
// so requantization points cost one fused float pass instead of two passes and an 8-bit tensor.
//
// Groups that do not match exactly (per-channel or blocked activations, unusual axes, 4/16-bit,
// float8, asymmetric weights, non-constant parameters) are left alone, run through the
// reference Q/DQ + float path, and are listed with the reason in the report.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace samq::passes {

inline constexpr const char* kSamqDomain = "com.samq";

struct QdqFoldReport {
  int quantized_ops = 0;  // MatMul/Gemm/Conv nodes reading at least one DequantizeLinear output
  int folded = 0;         // of those, replaced by QMatMul/QConv
  int fused_bias_adds = 0;
  int quant_dequant_pairs = 0;         // Q -> DQ pairs turned into QuantDequant
  std::vector<std::string> unfolded;   // "node 'x' (MatMul): why", one per quantized op left alone
};

QdqFoldReport FoldQdqToInteger(ir::Graph& graph);

}  // namespace samq::passes
