// samq run MODEL.onnx --input NAME=FILE.npy [--input ...] --out-dir DIR [--threads N]
#include <filesystem>
#include <iostream>

#include "backends/registry.h"
#include "cli_util.h"
#include "commands.h"
#include "precision_option.h"
#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace samq::cli {
namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string out_dir;
  int threads = 0;
  std::string precision = "fp32";
};

Status RunRun(const RunArgs& a) {
  // Check everything the user gave before the (possibly long) run, so bad input fails fast.
  std::map<std::string, Tensor> feeds;
  for (const auto& spec : a.inputs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return Status::UserF("--input '{}': expected NAME=FILE.npy", spec);
    std::string name = spec.substr(0, eq), file = spec.substr(eq + 1);
    SAMQ_ASSIGN_OR_RETURN(Tensor t, io::ReadNpy(file));
    if (feeds.count(name)) return Status::UserF("--input '{}' is given twice", name);
    feeds[name] = std::move(t);
  }
  SAMQ_RETURN_IF_ERROR(EnsureWritableDir(a.out_dir));
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(a.model));
  rt::SessionOptions so;
  so.threads = a.threads;
  so.precision = ToComputePrecision(a.precision);
  so.release_packed_weights = true;
  SAMQ_ASSIGN_OR_RETURN(auto session, rt::Session::Create(std::move(imported.model),
                                                          backends::DefaultRegistry(), so));
  SAMQ_ASSIGN_OR_RETURN(auto outputs, session->Run(feeds));
  for (const auto& [name, t] : outputs) {
    auto path = std::filesystem::path(a.out_dir) / (SafeFileName(name) + ".npy");
    SAMQ_RETURN_IF_ERROR(io::WriteNpy(path, t));
    std::cout << name << ": " << dtype_name(t.dtype()) << "[" << shape_str(t.shape()) << "] -> "
              << path.string() << "\n";
  }
  return Status::Ok();
}

}  // namespace

void AddRunCommand(CLI::App& root, ActionMap& actions) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = root.add_subcommand("run", "Run any ONNX model on .npy inputs; write every output as .npy");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_option("--input", args->inputs, "NAME=FILE.npy (repeatable)");
  cmd->add_option("--out-dir", args->out_dir, "Folder for <output name>.npy")->required();
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  AddPrecisionOption(cmd, &args->precision);
  actions[cmd] = [args] { return RunRun(*args); };
}

}  // namespace samq::cli
