// Rewrites a float graph into standard QDQ ONNX: every quantized node reads its activations
// through QuantizeLinear -> DequantizeLinear (one pair per value, shared by all quantized
// readers) and its weights through DequantizeLinear (from an int8 initializer, `--weights dq`,
// as NVIDIA ModelOpt writes it) or QuantizeLinear -> DequantizeLinear of the float weight
// (`--weights qdq`). Nodes not in the plan are untouched. The default opset is raised to 13 (int8
// per-axis) or 19 (fp8) when lower.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "ir/graph.h"
#include "quant/scheme/qparams.h"
#include "quant/scheme/quant_plan.h"

namespace samq::quant {

struct QdqTensors {
  std::map<std::string, ActivationQParams> activations;  // by value name
  std::map<std::string, QuantizedWeight> weights;        // by initializer name
};

Status InsertQdq(ir::Model& model, const QuantPlan& plan, const QdqTensors& q, QuantMode mode,
                 WeightsForm weights);

}  // namespace samq::quant
