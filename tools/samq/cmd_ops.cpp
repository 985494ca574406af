// samq ops [--json]
//
// Lists every op samq can execute with its kernel candidates in the order they are tried (the
// reference kernel, "ref.<Op>", always last). The same registry answers `samq inspect`'s
// "unsupported ops" line, so this list is the definitive answer to "can samq run my model?".
#include <iostream>

#include <nlohmann/json.hpp>

#include "backends/registry.h"
#include "commands.h"

namespace samq::cli {
namespace {

Status RunOps(bool json) {
  const rt::OpRegistry& registry = backends::DefaultRegistry();
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& key : registry.OpTypes()) {
    // OpTypes gives "Op" for the default domain and "domain.Op" otherwise.
    const size_t dot = key.rfind('.');
    const std::string domain = dot == std::string::npos ? "" : key.substr(0, dot);
    const std::string op = dot == std::string::npos ? key : key.substr(dot + 1);
    const rt::OpSchema* schema = registry.Find(domain, op);
    if (!schema) continue;
    std::vector<std::string> kernels;
    for (const auto& k : schema->kernels) kernels.push_back(k.name);
    if (json) {
      out.push_back({{"op", op}, {"domain", domain}, {"kernels", kernels}});
    } else {
      std::cout << key << ":";
      for (const auto& k : kernels) std::cout << " " << k;
      std::cout << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  else std::cout << registry.OpTypes().size() << " ops\n";
  return Status::Ok();
}

}  // namespace

void AddOpsCommand(CLI::App& root, ActionMap& actions) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("ops", "List the ops samq executes and their kernels");
  cmd->add_flag("--json", *json, "One JSON array on stdout");
  actions[cmd] = [json] { return RunOps(*json); };
}

}  // namespace samq::cli
