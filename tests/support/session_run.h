// One run of a model through a Session, as the fusion tests do it twice (pass on, pass off):
// build with the given options, feed named inputs, keep one output and the kernel each node got.
// A build or run that fails is a test failure (EXPECT, with the session's message) and leaves
// `y` empty, so the comparisons that follow fail too instead of reading garbage.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"
#include "runtime/session.h"

namespace samq::testing {

struct SessionRun {
  Tensor y;
  std::vector<rt::NodeKernelChoice> choices;        // one per node, in execution order
  std::map<std::string, std::string> kernel_of_op;  // op type -> kernel of its last node
  int Count(const std::string& op_type) const;      // nodes of this op type
};

SessionRun RunSession(ir::Model model, const std::map<std::string, Tensor>& feeds, const rt::SessionOptions& options,
                      const std::string& output = "y");

// 2 threads (so the parallel paths run), reference kernels only or the default choice; every
// pass at its default.
rt::SessionOptions FusionTestOptions(bool reference_kernels_only);

}  // namespace samq::testing
