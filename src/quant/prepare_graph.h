// The float graph that gets the QDQ nodes: the model after the standard-ONNX part of samq's
// pipeline (sort, constant and shape folding, dead-node elimination), so that weights computed by
// Constant/Transpose/... chains become initializers the scheme can quantize. Session::Create also
// fuses ops into samq's own domain (com.samq); those must not reach the exported file, which is
// why this does not simply take Session::model().
#pragma once

#include "core/status.h"
#include "ir/graph.h"
#include "runtime/op_registry.h"

namespace samq::quant {

Status PrepareFloatGraph(ir::Model& model, const rt::OpRegistry& registry);

}  // namespace samq::quant
