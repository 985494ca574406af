// samq quantize --model IN.onnx --out OUT.onnx [--mode int8|fp8|w4a8|w4a16] [--calib-dir DIR]
//               [--calib-ext jpg,png] [--calib-size 32] [--random-calib] [--calib-method ...]
//               [--percentile 99.99] [--op-types MatMul,Conv,Gemm] [--weights qdq|dq]
//               [--per-channel|--per-tensor] [--exclude REGEX]... [--family ...] [--report R.json]
// Additions beyond docs/CLI.md: --quantize-attention, --act-type u8|s8, --encoder E.onnx (decoder
// calibration), --decoder-grid N, --seed N, --threads N.
#include <iostream>

#include "commands.h"
#include "quant/quantize.h"

namespace samq::cli {
namespace {

struct QuantizeArgs {
  quant::QuantizeConfig config;
  std::string mode = "int8", method = "max", weights = "qdq", family = "auto", act_type = "u8";
  std::string calib_ext = "jpg,jpeg,png", op_types = "MatMul,Conv,Gemm";
  bool per_tensor = false, per_channel = false;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(start, comma - start);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

Status RunQuantize(QuantizeArgs& a) {
  quant::QuantizeConfig& c = a.config;
  if (a.mode == "w4a8" || a.mode == "w4a16")
    return Status::UserF("--mode {} is not supported yet (int4 weights are planned); use --mode int8 or fp8", a.mode);
  if (a.mode == "int8") c.mode = quant::QuantMode::kInt8;
  else if (a.mode == "fp8") c.mode = quant::QuantMode::kFp8;
  else return Status::UserF("--mode '{}': expected int8, fp8, w4a8 or w4a16", a.mode);
  auto method = quant::calib_method_from_name(a.method);
  if (!method) return Status::UserF("--calib-method '{}': expected max, entropy, percentile or mse", a.method);
  c.method = *method;
  if (a.weights == "qdq") c.weights = quant::WeightsForm::kQdq;
  else if (a.weights == "dq") c.weights = quant::WeightsForm::kDq;
  else return Status::UserF("--weights '{}': expected qdq or dq", a.weights);
  if (a.act_type == "u8") c.activation_type = quant::ActivationType::kUInt8Asymmetric;
  else if (a.act_type == "s8") c.activation_type = quant::ActivationType::kInt8Symmetric;
  else return Status::UserF("--act-type '{}': expected u8 (asymmetric uint8) or s8 (symmetric int8)", a.act_type);
  if (a.per_tensor && a.per_channel) return Status::User("--per-channel and --per-tensor exclude each other");
  c.per_channel = !a.per_tensor;
  if (a.family != "auto") {
    auto f = sam::family_from_name(a.family);
    if (!f) return Status::UserF("--family '{}': expected auto, sam, mobilesam, efficientvit-sam or sam2", a.family);
    c.family = *f;
  }
  c.calib_ext = SplitList(a.calib_ext);
  if (c.calib_ext.empty()) return Status::User("--calib-ext is empty");
  c.op_types = SplitList(a.op_types);
  if (c.op_types.empty()) return Status::User("--op-types is empty");
  SAMQ_ASSIGN_OR_RETURN(quant::QuantizeSummary s, quant::Quantize(c));
  for (const auto& w : s.warnings) std::cerr << "samq quantize: warning: " << w << "\n";
  std::cerr << quant::HumanSummary(s);
  return Status::Ok();
}

}  // namespace

void AddQuantizeCommand(CLI::App& root, ActionMap& actions) {
  auto a = std::make_shared<QuantizeArgs>();
  quant::QuantizeConfig& c = a->config;
  CLI::App* cmd = root.add_subcommand("quantize", "Post-training quantization into standard QDQ ONNX");
  cmd->add_option("--model", c.model_path, "Float ONNX model (SAM encoder or decoder)")->required();
  cmd->add_option("--out", c.out_path, "Quantized QDQ ONNX to write")->required();
  cmd->add_option("--mode", a->mode, "int8 (default) | fp8 | w4a8 | w4a16");
  cmd->add_option("--calib-dir", c.calib_dir, "Folder of calibration images");
  cmd->add_option("--calib-ext", a->calib_ext, "Image extensions (default jpg,jpeg,png)");
  cmd->add_option("--calib-size", c.calib_size, "First N images in sorted order (default 32)");
  cmd->add_flag("--random-calib", c.random_calib, "Seeded random calibration data instead of images");
  cmd->add_option("--seed", c.seed, "Seed of --random-calib (default 0)");
  cmd->add_option("--calib-method", a->method, "max (default) | entropy | percentile | mse");
  cmd->add_option("--percentile", c.percentile, "Percentile of --calib-method percentile (default 99.99)");
  cmd->add_option("--op-types", a->op_types, "Ops to quantize (default MatMul,Conv,Gemm)");
  cmd->add_option("--weights", a->weights, "qdq (float weight -> Q -> DQ, default) | dq (int8 weight -> DQ)");
  cmd->add_flag("--per-channel", a->per_channel, "Per-channel weight scales (default)");
  cmd->add_flag("--per-tensor", a->per_tensor, "One scale per weight tensor");
  cmd->add_option("--exclude", c.exclude, "Leave nodes whose name matches this regex in float (repeatable)");
  cmd->add_flag("--quantize-attention", c.quantize_attention, "Also quantize MatMuls of two activations (QK^T, AV)");
  cmd->add_option("--act-type", a->act_type, "u8 (asymmetric uint8, default) | s8 (symmetric int8)");
  cmd->add_option("--family", a->family, "auto|sam|mobilesam|efficientvit-sam|sam2 (preprocessing)");
  cmd->add_option("--encoder", c.encoder_path, "Image encoder ONNX, to calibrate a SAM decoder");
  cmd->add_option("--decoder-grid", c.decoder_grid, "Decoder calibration: NxN click grid per image (default 2)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--report", c.report_path, "JSON report: per-tensor scales, SQNR, exclusions");
  cmd->add_option("--threads", c.threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  actions[cmd] = [a] { return RunQuantize(*a); };
}

}  // namespace samq::cli
