#include "passes/verify_and_sort.h"

#include <map>
#include <set>

namespace samq::passes {

Status VerifyAndSort(ir::Graph& g) {
  std::vector<std::string> problems;
  std::map<std::string, int> producer;  // value -> node index, -1 for inputs/initializers
  for (const auto& v : g.inputs) {
    if (v.name.empty()) problems.push_back("a graph input has an empty name");
    else if (!producer.emplace(v.name, -1).second)
      problems.push_back("graph input '" + v.name + "' is declared twice");
  }
  for (const auto& [name, t] : g.initializers) producer.emplace(name, -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& out : g.nodes[i].outputs) {
      if (out.empty()) continue;
      auto [it, fresh] = producer.emplace(out, static_cast<int>(i));
      if (!fresh)
        problems.push_back(g.nodes[i].describe() + ": output '" + out +
                           "' is already produced elsewhere");
    }
  }
  for (const auto& n : g.nodes)
    for (const auto& in : n.inputs)
      if (!in.empty() && !producer.count(in))
        problems.push_back(n.describe() + ": input '" + in + "' is not produced by any node, " +
                           "graph input or initializer");
  for (const auto& o : g.outputs)
    if (!producer.count(o.name))
      problems.push_back("graph output '" + o.name + "' is not produced by anything");
  if (!problems.empty()) {
    std::string msg = "invalid graph: " + problems[0];
    for (size_t i = 1; i < problems.size() && i < 20; ++i) msg += "; " + problems[i];
    if (problems.size() > 20) msg += fmt::format("; and {} more", problems.size() - 20);
    return Status::User(msg);
  }

  // Kahn's algorithm, taking ready nodes in their original order so sorted files stay as they are.
  size_t n = g.nodes.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (size_t i = 0; i < n; ++i) {
    std::set<int> deps;
    for (const auto& in : g.nodes[i].inputs) {
      if (in.empty()) continue;
      int p = producer[in];
      if (p >= 0 && p != static_cast<int>(i)) deps.insert(p);
      if (p == static_cast<int>(i))
        return Status::UserF("invalid graph: {} consumes its own output '{}'", g.nodes[i].describe(), in);
    }
    pending[i] = static_cast<int>(deps.size());
    for (int d : deps) consumers[d].push_back(static_cast<int>(i));
  }
  std::set<int> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.insert(static_cast<int>(i));
  std::vector<ir::Node> sorted;
  sorted.reserve(n);
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    for (int c : consumers[i])
      if (--pending[c] == 0) ready.insert(c);
    sorted.push_back(std::move(g.nodes[i]));
  }
  if (sorted.size() != n) {
    std::string stuck;
    for (size_t i = 0; i < n; ++i)
      if (pending[i] > 0) { stuck = g.nodes[i].describe(); break; }
    return Status::UserF("invalid graph: it has a cycle (through {})", stuck);
  }
  g.nodes = std::move(sorted);
  return Status::Ok();
}

}  // namespace samq::passes
