// FP8 QDQ needs opset 19 (QuantizeLinear/DequantizeLinear with float8 types). Moving a model from
// opset 13-17 to 19 changes the meaning of exactly one group of ops: opset 18 moved the `axes`
// of ReduceL1/L2/LogSum/LogSumExp/Max/Mean/Min/Prod/SumSquare from an attribute to an input.
// This rewrites those nodes so the model means the same under opset 19 (every other change in
// 18-19 only adds optional attributes or types).
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace samq::quant {

// User error below opset 13 (Squeeze/Unsqueeze/Split changed there too; re-export instead).
Status UpgradeOpsetForFp8(ir::Model& model);

}  // namespace samq::quant
