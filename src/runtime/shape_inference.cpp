#include "runtime/shape_inference.h"

#include <set>

namespace samq::rt {

ir::TensorType TypeOfValueInfo(const ir::ValueInfo& v) {
  ir::TensorType t;
  t.dtype = v.dtype;
  t.rank_known = v.has_shape;
  for (const auto& d : v.dims) t.dims.push_back(d.known() ? d.value : -1);
  return t;
}

Status InferGraphTypes(const ir::Graph& g, int64_t opset, const OpRegistry& registry,
                       TypeMap& types) {
  std::set<std::string> overridable;
  for (const auto& v : g.inputs) {
    types[v.name] = TypeOfValueInfo(v);
    if (g.is_initializer(v.name)) overridable.insert(v.name);
  }
  for (const auto& [name, t] : g.initializers)
    if (!types.count(name) || !types[name].fully_known()) types[name] = TensorType::Of(t);

  for (const auto& node : g.nodes) {
    const OpSchema* schema = registry.Find(node.domain, node.op_type);
    std::vector<TensorType> in_types;
    std::vector<const Tensor*> in_values;
    bool all_known = true;
    for (const auto& in : node.inputs) {
      if (in.empty()) {
        in_types.emplace_back();
        in_values.push_back(nullptr);
        continue;
      }
      auto it = types.find(in);
      in_types.push_back(it == types.end() ? TensorType{} : it->second);
      if (!in_types.back().fully_known()) all_known = false;
      auto init = g.initializers.find(in);
      in_values.push_back(init != g.initializers.end() && !overridable.count(in) ? &init->second
                                                                                  : nullptr);
    }
    if (!schema) continue;
    InferContext ctx(node, opset, in_types, in_values);
    Status s = schema->infer(ctx);
    if (!s.ok()) {
      if (all_known) return s;
      continue;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty()) types[node.outputs[i]] = ctx.output_types()[i];
  }
  return Status::Ok();
}

}  // namespace samq::rt
