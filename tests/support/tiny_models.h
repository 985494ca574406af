// Small models built in C++ for tests that need a specific graph (bad ops, external data, ...).
#pragma once

#include "ir/graph.h"

namespace samq::testing {

// y = Relu(x) + w, with x: float32[1x4], w an initializer of 4 floats (1,2,3,4).
ir::Model ReluAddModel();
// A model whose nodes use ops samq does not have ("FooOp", "BarOp"), to test that every
// unsupported node is reported at once.
ir::Model UnsupportedOpsModel();

}  // namespace samq::testing
