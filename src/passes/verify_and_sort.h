// The verifier: every value has exactly one producer (graph input, initializer or node output),
// every node input is produced, graph outputs exist, and the nodes can be ordered. Reorders the
// nodes topologically (stable for graphs that are already sorted). Reports all problems at once.
#pragma once

#include "core/status.h"
#include "ir/graph.h"

namespace samq::passes {

Status VerifyAndSort(ir::Graph& graph);

}  // namespace samq::passes
