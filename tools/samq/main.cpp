// samq: make Segment Anything models small and fast, and measure what that costs.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "samq/version.h"

int main(int argc, char** argv) {
  CLI::App app{"samq: run, quantize and measure Segment Anything models (ONNX)"};
  app.set_version_flag("--version", samq::version());
  app.require_subcommand(1);
  samq::cli::ActionMap actions;
  samq::cli::AddInspectCommand(app, actions);
  samq::cli::AddRunCommand(app, actions);
  samq::cli::AddSynthWeightsCommand(app, actions);
  samq::cli::AddSegmentCommand(app, actions);
  samq::cli::AddBenchCommand(app, actions);
  samq::cli::AddQuantizeCommand(app, actions);
  samq::cli::AddOpsCommand(app, actions);
  samq::cli::AddCompareCommand(app, actions);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Bad flags are bad input: exit code 2 with a one-line message (docs/CLI.md).
    std::fprintf(stderr, "samq: error: %s\n", e.what());
    return 2;
  }
  try {
    for (const CLI::App* sub : app.get_subcommands()) {
      auto it = actions.find(sub);
      if (it == actions.end()) continue;
      samq::Status s = it->second();
      if (!s.ok()) {
        std::fprintf(stderr, "samq %s: error: %s\n", sub->get_name().c_str(), s.message().c_str());
        return s.exit_code();
      }
    }
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "samq: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "samq: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
