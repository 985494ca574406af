#include "passes/fuse_requantize.h"

#include "passes/node_readers.h"

namespace samq::passes {
namespace {

bool IsQMatMul(const ir::Node& n) {
  return n.domain == "com.samq" && (n.op_type == "QMatMul" || n.op_type == "QMatMulGelu");
}

}  // namespace

int FuseRequantize(ir::Graph& g) {
  const NodeReaders readers(g);
  int fused = 0;
  for (auto& producer : g.nodes) {
    if (!IsQMatMul(producer) || producer.outputs.size() != 1 || producer.inputs.size() > 6) continue;
    const int ci = readers.OnlyReader(producer.outputs[0]);
    if (ci < 0) continue;
    const ir::Node& consumer = g.nodes[ci];
    if (!IsQMatMul(consumer) || consumer.inputs.size() < 3 || consumer.inputs[0] != producer.outputs[0] ||
        !g.is_initializer(consumer.inputs[1]) || !g.is_initializer(consumer.inputs[2]))
      continue;
    producer.inputs.resize(6);  // an absent bias stays "" (an omitted optional input)
    producer.inputs.push_back(consumer.inputs[1]);
    producer.inputs.push_back(consumer.inputs[2]);
    ++fused;
  }
  return fused;
}

}  // namespace samq::passes
