#include "support/run_cli.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace samq::testing {
namespace {
std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

namespace {
CliResult Spawn(const std::string& exe, bool search_path, const std::vector<std::string>& args) {
  char out_tmpl[] = "/tmp/samq_cli_out_XXXXXX";
  char err_tmpl[] = "/tmp/samq_cli_err_XXXXXX";
  int out_fd = mkstemp(out_tmpl), err_fd = mkstemp(err_tmpl);
  CliResult r;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> argv;
    std::string exe_copy = exe;
    argv.push_back(exe_copy.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (search_path) execvp(exe.c_str(), argv.data());
    else execv(exe.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  close(err_fd);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out_tmpl);
  r.err = slurp(err_tmpl);
  std::remove(out_tmpl);
  std::remove(err_tmpl);
  return r;
}

}  // namespace

CliResult RunCli(const std::vector<std::string>& args) { return Spawn(SAMQ_CLI_PATH, false, args); }

CliResult RunProgram(const std::string& program, const std::vector<std::string>& args) {
  return Spawn(program, true, args);
}

}  // namespace samq::testing
