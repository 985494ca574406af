// Removes nodes whose outputs no graph output depends on, and initializers nothing reads.
#pragma once

#include "ir/graph.h"

namespace samq::passes {

int EliminateDeadNodes(ir::Graph& graph);  // returns the number of nodes removed

}  // namespace samq::passes
