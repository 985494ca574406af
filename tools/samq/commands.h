// The samq CLI: one file per command (contract in ../shared/docs/CLI.md). Each Add*Command
// registers a subcommand and the action to run when it is chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <map>

#include "core/status.h"

namespace samq::cli {

using Action = std::function<Status()>;
using ActionMap = std::map<const CLI::App*, Action>;

void AddInspectCommand(CLI::App& root, ActionMap& actions);
void AddRunCommand(CLI::App& root, ActionMap& actions);
void AddSynthWeightsCommand(CLI::App& root, ActionMap& actions);
void AddSegmentCommand(CLI::App& root, ActionMap& actions);
void AddBenchCommand(CLI::App& root, ActionMap& actions);
void AddQuantizeCommand(CLI::App& root, ActionMap& actions);
void AddOpsCommand(CLI::App& root, ActionMap& actions);
void AddCompareCommand(CLI::App& root, ActionMap& actions);

}  // namespace samq::cli
