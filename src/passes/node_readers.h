// Who reads each value of a graph, for the fusion passes: a value can disappear into a fused node
// only when the pattern's next node is its one reader and it is not a graph output.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"

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

}  // namespace samq::passes
