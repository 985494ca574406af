#include "quant/prepare_graph.h"

#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_constants.h"
#include "passes/verify_and_sort.h"
#include "runtime/evaluate_node.h"
#include "runtime/shape_inference.h"

namespace samq::quant {

Status PrepareFloatGraph(ir::Model& model, const rt::OpRegistry& registry) {
  ir::Graph& g = model.graph;
  const int64_t opset = model.default_opset() ? model.default_opset() : 21;
  SAMQ_RETURN_IF_ERROR(passes::VerifyAndSort(g));
  // Folded values are the reference kernels' values, as in Session::Create.
  passes::NodeEvaluator eval = [&](const ir::Node& n, const std::vector<const Tensor*>& ins) {
    rt::EvaluateOptions eo;
    eo.kernel = "ref." + n.op_type;
    auto r = rt::EvaluateNode(registry, n, opset, ins, eo);
    if (!r.ok() && r.status().message().find("no candidate named") != std::string::npos)
      return rt::EvaluateNode(registry, n, opset, ins);
    return r;
  };
  for (int round = 0; round < 8; ++round) {
    SAMQ_ASSIGN_OR_RETURN(int folded, passes::FoldConstants(g, eval));
    rt::TypeMap types;
    SAMQ_RETURN_IF_ERROR(rt::InferGraphTypes(g, opset, registry, types));
    int shapes = passes::FoldKnownShapes(g, types);
    if (folded == 0 && shapes == 0) break;
  }
  passes::EliminateDeadNodes(g);
  return Status::Ok();
}

}  // namespace samq::quant
