// Who reads each value of a graph, for the fusion passes: a value can disappear into a fused node
// only when the pattern's next node is its one reader and it is not a graph output.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "ir/tensor_type.h"

namespace samq::passes {

class NodeReaders {
 public:
  explicit NodeReaders(const ir::Graph& g);
  // Index of the only node reading `value`; -1 when it has no reader, several, or is a graph output.
  int OnlyReader(const std::string& value) const;

 private:
  std::unordered_map<std::string, int> count_, reader_;
};

// Removes the nodes marked in `drop` (one flag per node), keeping the order of the others.
void EraseMarkedNodes(ir::Graph& g, const std::vector<bool>& drop);

// Fully known float32 dims of `value` in `types` (empty when unknown or of another type): the
// fusion passes match patterns on static shapes only.
Shape KnownFloat32Dims(const std::map<std::string, ir::TensorType>& types, const std::string& value);

}  // namespace samq::passes
