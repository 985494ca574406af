// Session: a compiled model, ready to run many times.
//
// Create() verifies the graph, runs the pass pipeline (constant folding, shape folding, dead-node
// elimination), infers static types, and picks a kernel per node. Run() checks the feeds against
// the graph's inputs (name, dtype, rank, known dims), executes the nodes in order, and returns
// every graph output. Intermediate buffers are recycled as soon as their last reader has run.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "runtime/op_registry.h"

namespace samq::rt {

class Profiler;  // runtime/profiler.h

struct SessionOptions {
  int threads = 0;                      // 0 = all cores
  bool reference_kernels_only = false;  // run every node on its plain reference kernel (oracle)
  bool optimize = true;                 // constant/shape folding and dead-node elimination
};

struct NodeKernelChoice {
  std::string node;
  std::string op_type;
  std::string kernel;                 // the candidate that accepted
  std::vector<std::string> declined;  // "candidate: reason" for each that declined first
};

// Every node whose op the registry lacks, all at once, in one message per node:
// "node 'x' (Foo, opset 17): op is not supported". Empty when all are supported.
std::vector<std::string> FindUnsupportedNodes(const ir::Model& model, const OpRegistry& registry);

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(ir::Model model, const OpRegistry& registry,
                                                 SessionOptions options = {});
  ~Session();

  // Feeds by input name; returns every graph output by name.
  // Const: a run changes nothing observable. Not for concurrent calls on one session (kernels
  // keep per-shape caches); use one session per thread.
  Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& feeds) const;

  const ir::Model& model() const;  // after optimization passes
  const std::vector<ir::ValueInfo>& inputs() const;   // runtime inputs (not initializers)
  const std::vector<ir::ValueInfo>& outputs() const;
  const std::vector<NodeKernelChoice>& kernel_choices() const;

  // Per-node timing (`samq bench --profile`): while a profiler is attached, every Run records
  // each node's wall time into it (node i = kernel_choices()[i]). Not owned; null detaches.
  void set_profiler(Profiler* profiler);

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace samq::rt
