#include "support/tiny_models.h"

namespace samq::testing {
namespace {
ir::ValueInfo Float(const std::string& name, std::vector<int64_t> dims) {
  ir::ValueInfo v;
  v.name = name;
  v.dtype = DType::kFloat32;
  v.has_shape = true;
  for (int64_t d : dims) v.dims.push_back({d, ""});
  return v;
}
}  // namespace

ir::Model ReluAddModel() {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.producer_name = "samq-tests";
  m.graph.name = "relu_add";
  m.graph.inputs = {Float("x", {1, 4})};
  m.graph.outputs = {Float("y", {1, 4})};
  m.graph.initializers["w"] = Tensor::FromVector<float>({4}, {1, 2, 3, 4});
  ir::Node relu{"relu0", "Relu", "", {"x"}, {"r"}, {}, ""};
  ir::Node add{"add0", "Add", "", {"r", "w"}, {"y"}, {}, ""};
  m.graph.nodes = {relu, add};
  return m;
}

ir::Model UnsupportedOpsModel() {
  ir::Model m = ReluAddModel();
  m.graph.nodes = {ir::Node{"mystery_a", "FooOp", "", {"x"}, {"r"}, {}, ""},
                   ir::Node{"mystery_b", "BarOp", "", {"r", "w"}, {"y"}, {}, ""}};
  return m;
}

}  // namespace samq::testing
