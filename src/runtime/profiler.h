// Per-node wall time of Session::Run, for `samq bench --profile` (issue 4: "a profile of where the
// remaining time goes").
//
// A Profiler attached with Session::set_profiler() receives one Record() per executed node per
// run: the time from the node's run-time shape inference to its outputs being stored (so engine
// overhead around the kernel is charged to the node that caused it). Node indices follow
// Session::kernel_choices(), which lists the compiled nodes in execution order. Without a
// profiler attached a run pays only one null-pointer test per node.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/session.h"

namespace samq::rt {

class Profiler {
 public:
  using Clock = std::chrono::steady_clock;

  // Called by Session::Run after each node; not thread-safe (a session runs one call at a time).
  void Record(size_t node_index, Clock::duration elapsed);
  // Marks the end of one whole Run (so averages are per run).
  void EndRun(Clock::duration run_elapsed);
  void Reset();

  int64_t runs() const { return runs_; }
  // Mean ms per run spent in node `i` (0 when it never ran).
  double node_ms(size_t i) const;
  // Mean ms per run of the whole Run call (nodes plus what lies between them).
  double run_ms() const;
  size_t num_nodes() const { return total_ns_.size(); }

 private:
  std::vector<int64_t> total_ns_;
  int64_t runs_ = 0;
  int64_t run_total_ns_ = 0;
};

// One row of a profile summary.
struct ProfileRow {
  std::string key;     // "op_type [kernel]" for by-op rows; "node 'name' (op) [kernel]" for by-node rows
  double ms = 0;       // mean per run
  double percent = 0;  // of the mean run time
  int64_t count = 0;   // nodes folded into this row
};

struct ProfileSummary {
  double run_ms = 0;                // mean whole-run time while profiling
  double nodes_ms = 0;              // sum of all node times
  std::vector<ProfileRow> by_op;    // aggregated by (op_type, kernel), slowest first
  std::vector<ProfileRow> by_node;  // single nodes, slowest first
};

// Aggregates the profiler's samples using the session's node list (kernel_choices order).
ProfileSummary SummarizeProfile(const Profiler& profiler, const std::vector<NodeKernelChoice>& nodes);

}  // namespace samq::rt
