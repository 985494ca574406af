// samq compare --reference REF.onnx --candidate CAND.onnx --decoder D.onnx --images DIR
//              [--prompts grid|gt|FILE.json] [--grid N] [--annotations COCO.json] [--report REPORT.json]
//              [--threads N] [--max-images K] [--candidate-decoder D2.onnx] [--family ...]
//              [--save-inputs DIR] [--reference-outputs DIR] [--candidate-outputs DIR]
// The last three check a deployment: save the inputs, run the same file in another runtime, and
// compare samq's masks with the masks that runtime's encoder outputs give.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "eval/compare.h"
#include "eval/compare_report.h"
#include "io/atomic_file.h"

namespace samq::cli {
namespace {

struct CompareArgs {
  eval::CompareOptions options;
  std::string report;
};

Status RunCompare(CompareArgs a) {
  // A report that cannot be written is found out before minutes of encoding, not after.
  if (!a.report.empty()) SAMQ_RETURN_IF_ERROR(eval::CheckReportPath(a.report));
  const bool tty = ::isatty(STDERR_FILENO);
  if (tty)
    a.options.progress = [](int done, int total, const std::string& file) {
      std::fprintf(stderr, "\r[%d/%d] %s\033[K%s", done, total, file.c_str(), done == total ? "\n" : "");
      std::fflush(stderr);
    };
  SAMQ_ASSIGN_OR_RETURN(eval::CompareResult r, eval::RunComparison(a.options));
  if (!a.report.empty()) SAMQ_RETURN_IF_ERROR(io::WriteFileAtomic(a.report, eval::CompareReportJson(r, a.options)));
  std::cout << eval::CompareMarkdown(r, a.options);
  if (!a.report.empty()) std::cout << "\nreport: " << a.report << "\n";
  return Status::Ok();
}

}  // namespace

void AddCompareCommand(CLI::App& root, ActionMap& actions) {
  auto args = std::make_shared<CompareArgs>();
  auto& o = args->options;
  CLI::App* cmd = root.add_subcommand("compare", "Measure how a candidate encoder changes masks and embeddings");
  cmd->add_option("--reference", o.reference, "Reference image encoder ONNX (e.g. FP32)");
  cmd->add_option("--candidate", o.candidate, "Candidate image encoder ONNX (e.g. quantized)");
  cmd->add_option("--decoder", o.decoder, "Prompt decoder ONNX (used for both unless --candidate-decoder)")->required();
  cmd->add_option("--candidate-decoder", o.candidate_decoder, "Decoder ONNX for the candidate");
  cmd->add_option("--images", o.images_dir, "Folder of JPEG/PNG images")->required();
  cmd->add_option("--prompts", o.prompts,
                  "grid | gt (needs --annotations) | samexporter prompt JSON; default: gt with --annotations, else grid");
  cmd->add_option("--grid", o.grid, "Points per side of the grid prompts (default 4)");
  cmd->add_option("--annotations", o.annotations, "COCO instances JSON: also score both models against ground truth");
  cmd->add_option("--report", args->report, "Write the full JSON report here");
  cmd->add_option("--threads", o.threads, "Threads for both models (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-images", o.max_images, "Use at most K images (sorted by name; 0 = all)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--family", o.family, "auto|sam|mobilesam|efficientvit-sam|sam2");
  cmd->add_option("--save-inputs", o.save_inputs_dir,
                  "Write each image's preprocessed encoder input to DIR/<image stem>.npy (for another runtime)");
  cmd->add_option("--reference-outputs", o.reference_outputs_dir,
                  "Read the reference's encoder outputs from DIR/<image stem>/<output>.npy (computed by another "
                  "runtime from --save-inputs) instead of running it; --reference defaults to --candidate");
  cmd->add_option("--candidate-outputs", o.candidate_outputs_dir,
                  "Read the candidate's encoder outputs from DIR/<image stem>/<output>.npy instead of running it; "
                  "--candidate defaults to --reference");
  actions[cmd] = [args] {
    if (args->options.reference.empty() && args->options.candidate.empty())
      return Status::User("--reference or --candidate is required");
    return RunCompare(*args);
  };
}

}  // namespace samq::cli
