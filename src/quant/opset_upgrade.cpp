#include "quant/opset_upgrade.h"

#include <set>

namespace samq::quant {

Status UpgradeOpsetForFp8(ir::Model& model) {
  const int64_t opset = model.default_opset();
  if (opset >= 19) return Status::Ok();
  if (opset != 0 && opset < 13)
    return Status::UserF("opset {} is too old to move to opset 19 for fp8; re-export the model with opset >= 13", opset);
  static const std::set<std::string> kAxesMoved = {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
                                                   "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare"};
  ir::Graph& g = model.graph;
  if (opset < 18) {
    int k = 0;
    for (auto& n : g.nodes) {
      if (!n.domain.empty() || !kAxesMoved.count(n.op_type)) continue;
      const ir::Attribute* a = n.attr("axes");
      if (!a) continue;  // no axes: reduce over all, the same in both opsets
      std::vector<int64_t> axes = a->ints;
      std::string name;
      do name = n.name + "_axes" + (k ? "_" + std::to_string(k) : ""), ++k;
      while (g.initializers.count(name));
      g.initializers[name] = Tensor::FromVector<int64_t>({static_cast<int64_t>(axes.size())}, axes);
      if (n.inputs.empty()) n.inputs.push_back("");
      n.inputs.resize(1);
      n.inputs.push_back(name);
      std::erase_if(n.attributes, [](const ir::Attribute& x) { return x.name == "axes"; });
    }
  }
  for (auto& o : model.opsets)
    if (o.domain.empty() || o.domain == "ai.onnx") o.version = 19;
  return Status::Ok();
}

}  // namespace samq::quant
