// Runs the samq CLI as a child process, for tests of exit codes, messages and written files.
#pragma once

#include <string>
#include <vector>

namespace samq::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built `samq` with these arguments (no shell: arguments are passed as they are).
CliResult RunCli(const std::vector<std::string>& args);
// Runs any program found on PATH (execvp) with these arguments.
CliResult RunProgram(const std::string& program, const std::vector<std::string>& args);

}  // namespace samq::testing
