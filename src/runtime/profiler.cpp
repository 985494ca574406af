#include "runtime/profiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

namespace samq::rt {

void Profiler::Record(size_t node_index, Clock::duration elapsed) {
  if (node_index >= total_ns_.size()) total_ns_.resize(node_index + 1, 0);
  total_ns_[node_index] += std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
}

void Profiler::EndRun(Clock::duration run_elapsed) {
  ++runs_;
  run_total_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(run_elapsed).count();
}

void Profiler::Reset() {
  total_ns_.clear();
  runs_ = 0;
  run_total_ns_ = 0;
}

double Profiler::node_ms(size_t i) const {
  if (runs_ == 0 || i >= total_ns_.size()) return 0;
  return static_cast<double>(total_ns_[i]) / 1e6 / static_cast<double>(runs_);
}

double Profiler::run_ms() const {
  return runs_ == 0 ? 0 : static_cast<double>(run_total_ns_) / 1e6 / static_cast<double>(runs_);
}

ProfileSummary SummarizeProfile(const Profiler& profiler, const std::vector<NodeKernelChoice>& nodes) {
  ProfileSummary s;
  s.run_ms = profiler.run_ms();
  // Keyed by (op, kernel): the same op on two kernels (oneDNN vs reference) is two different costs.
  std::map<std::string, ProfileRow> ops;
  for (size_t i = 0; i < nodes.size(); ++i) {
    double ms = profiler.node_ms(i);
    s.nodes_ms += ms;
    const auto& n = nodes[i];
    std::string op_key = fmt::format("{} [{}]", n.op_type, n.kernel);
    auto& row = ops[op_key];
    row.key = op_key;
    row.ms += ms;
    row.count += 1;
    s.by_node.push_back({fmt::format("node '{}' ({}) [{}]", n.node, n.op_type, n.kernel), ms, 0, 1});
  }
  for (auto& [key, row] : ops) s.by_op.push_back(row);
  const double total = s.run_ms > 0 ? s.run_ms : s.nodes_ms;
  auto finish = [total](std::vector<ProfileRow>& rows) {
    for (auto& r : rows) r.percent = total > 0 ? 100.0 * r.ms / total : 0;
    std::stable_sort(rows.begin(), rows.end(),
                     [](const ProfileRow& a, const ProfileRow& b) { return a.ms > b.ms; });
  };
  finish(s.by_op);
  finish(s.by_node);
  return s;
}

}  // namespace samq::rt
