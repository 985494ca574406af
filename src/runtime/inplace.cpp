#include "runtime/inplace.h"

#include <set>
#include <string>

namespace samq::rt {

bool OpMayRunInPlace(const ir::Node& node) {
  // Deliberately short: each op here was checked against its reference kernel (binary_loop.h,
  // elementwise_unary.cpp, softmax.cpp). Cast, Expand, Where with broadcasting of the reused
  // input etc. are excluded by the shape check at run time anyway; ops that read neighbours
  // (LayerNorm, Conv, Resize) are never listed.
  static const std::set<std::string> kOps = {
      "Add",  "Sub",  "Mul",     "Div",  "Relu", "Sigmoid", "Tanh",    "Erf",
      "Exp",  "Sqrt", "Neg",     "Abs",  "Clip", "Softmax", "Gelu",    "LeakyRelu",
      "HardSigmoid",  "HardSwish", "Reciprocal", "Pow",  "Floor", "Ceil", "Log"};
  return (node.domain.empty() || node.domain == "ai.onnx") && kOps.count(node.op_type) > 0;
}

bool CanReuseForOutput(const Tensor& input, DType dtype, const Shape& shape) {
  const auto& buf = input.buffer();
  return buf && buf.use_count() == 1 && input.raw() == buf->data() && input.dtype() == dtype &&
         input.shape() == shape;
}

}  // namespace samq::rt
