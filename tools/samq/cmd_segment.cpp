// samq segment --encoder E.onnx --decoder D.onnx --image IMG [--point X,Y[,LABEL]]... [--box ...]
//              [--prompt FILE.json] [--mask-input LOGITS.npy] [--multimask] [--family ...]
//              [--out-dir DIR] [--threads N]
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli_util.h"
#include "commands.h"
#include "precision_option.h"
#include "io/atomic_file.h"
#include "io/image.h"
#include "io/npy.h"
#include "sam/overlay.h"
#include "sam/predictor.h"
#include "sam/result_json.h"
#include "samq/version.h"

namespace samq::cli {
namespace {

struct SegmentArgs {
  std::string encoder, decoder, image, prompt_file, mask_input, family = "auto", out_dir = "samq_out";
  std::vector<std::string> points, boxes;
  bool multimask = false;
  int threads = 0;
  std::string precision = "fp32";
};

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Status RunSegment(const SegmentArgs& a) {
  auto t_start = std::chrono::steady_clock::now();
  // Everything the user typed is checked before any model is loaded or file written.
  sam::Prompt prompt;
  prompt.multimask = a.multimask;
  for (const auto& p : a.points) {
    SAMQ_ASSIGN_OR_RETURN(auto pt, sam::ParsePoint(p));
    prompt.points.push_back(pt);
  }
  for (const auto& b : a.boxes) {
    SAMQ_ASSIGN_OR_RETURN(auto box, sam::ParseBox(b));
    prompt.boxes.push_back(box);
  }
  if (!a.prompt_file.empty()) {
    SAMQ_ASSIGN_OR_RETURN(std::string text, io::ReadFile(a.prompt_file));
    SAMQ_RETURN_IF_ERROR(sam::ParsePromptJson(text, a.prompt_file, prompt));
  }
  if (!a.mask_input.empty()) {
    SAMQ_ASSIGN_OR_RETURN(Tensor m, io::ReadNpy(a.mask_input));
    prompt.mask_input = std::move(m);
  }
  if (prompt.empty()) return Status::User("no prompt given: pass --point, --box, --prompt or --mask-input");
  sam::PredictorOptions po;
  po.threads = a.threads;
  po.precision = ToComputePrecision(a.precision);
  if (a.family != "auto") {
    auto f = sam::family_from_name(a.family);
    if (!f) return Status::UserF("--family '{}': expected auto, sam, mobilesam, efficientvit-sam or sam2", a.family);
    po.family = *f;
  }
  SAMQ_ASSIGN_OR_RETURN(io::Image image, io::ReadImage(a.image));
  SAMQ_RETURN_IF_ERROR(sam::ValidatePrompt(prompt, image.height, image.width));
  SAMQ_RETURN_IF_ERROR(EnsureWritableDir(a.out_dir));

  auto t_load = std::chrono::steady_clock::now();
  SAMQ_ASSIGN_OR_RETURN(auto predictor, sam::Predictor::Create(a.encoder, a.decoder, po));
  double load_ms = ms_since(t_load);
  SAMQ_RETURN_IF_ERROR(predictor->SetImage(image));
  SAMQ_ASSIGN_OR_RETURN(sam::Prediction pred, predictor->Predict(prompt));

  // Outputs: each file is written atomically; result.json last, so its presence means complete.
  namespace fs = std::filesystem;
  fs::path dir(a.out_dir);
  sam::SegmentResult res;
  res.image = a.image;
  res.height = image.height;
  res.width = image.width;
  res.family = std::string(sam::family_name(predictor->family()));
  res.encoder_model = a.encoder;
  res.decoder_model = a.decoder;
  res.threads = a.threads;
  res.samq_version = samq::version();
  std::vector<sam::BinaryMask> masks;
  for (size_t k = 0; k < pred.masks.size(); ++k) {
    const auto& pm = pred.masks[k];
    std::string file = "mask_" + std::to_string(k) + ".png";
    SAMQ_RETURN_IF_ERROR(io::WritePng(dir / file, pm.mask.pixels.data(), pm.mask.height, pm.mask.width, 1));
    auto mr = sam::MakeMaskResult(pm.mask, file, pm.score);
    mr.token = pm.token;
    res.masks.push_back(std::move(mr));
    masks.push_back(pm.mask);
  }
  SAMQ_RETURN_IF_ERROR(io::WriteNpy(dir / "low_res_logits.npy", pred.low_res_logits));
  res.low_res_logits = "low_res_logits.npy";
  sam::PromptRecord rec;
  for (const auto& p : prompt.points) {
    rec.prompts.points.push_back({p.x, p.y});
    rec.prompts.labels.push_back(p.label);
  }
  for (const auto& b : prompt.boxes) rec.prompts.boxes.push_back({b.x0, b.y0, b.x1, b.y1});
  rec.multimask = prompt.multimask;
  rec.mask_input = a.mask_input;
  auto overlay = sam::DrawOverlay(image.rgb.data(), image.height, image.width, masks, rec.prompts);
  SAMQ_RETURN_IF_ERROR(io::WritePng(dir / "overlay.png", overlay.data(), image.height, image.width, 3));
  res.overlay = "overlay.png";
  res.prompt = rec;
  res.timings_ms = {{"load", load_ms},
                    {"preprocess", predictor->preprocess_ms()},
                    {"encoder", predictor->encoder_ms()},
                    {"decoder", pred.decoder_ms},
                    {"postprocess", pred.postprocess_ms},
                    {"total", ms_since(t_start)}};
  SAMQ_RETURN_IF_ERROR(sam::WriteResultJson(dir / "result.json", res));
  std::cout << fmt::format("{} ({}): {} mask(s) -> {}\n", a.image, res.family, res.masks.size(), a.out_dir);
  for (const auto& m : res.masks)
    std::cout << fmt::format("  {}  score {:.4f}  area {}\n", m.file, m.score, m.area);
  std::cout << fmt::format("  encoder {:.1f} ms, decoder {:.1f} ms\n", predictor->encoder_ms(), pred.decoder_ms);
  return Status::Ok();
}

}  // namespace

void AddSegmentCommand(CLI::App& root, ActionMap& actions) {
  auto args = std::make_shared<SegmentArgs>();
  CLI::App* cmd = root.add_subcommand("segment", "Segment an image from point / box / mask prompts");
  cmd->add_option("--encoder", args->encoder, "Image encoder ONNX")->required();
  cmd->add_option("--decoder", args->decoder, "Prompt decoder ONNX")->required();
  cmd->add_option("--image", args->image, "JPEG or PNG image")->required();
  cmd->add_option("--point", args->points, "X,Y[,LABEL] in image pixels; LABEL 1 = foreground (default), 0 = background");
  cmd->add_option("--box", args->boxes, "X0,Y0,X1,Y1 in image pixels (repeat for one mask per box)");
  cmd->add_option("--prompt", args->prompt_file, "samexporter prompt JSON");
  cmd->add_option("--mask-input", args->mask_input, "1x1x256x256 low-res logits (.npy) of an earlier call");
  cmd->add_flag("--multimask", args->multimask, "Return the model's 3 candidate masks");
  cmd->add_option("--family", args->family, "auto|sam|mobilesam|efficientvit-sam|sam2");
  cmd->add_option("--out-dir", args->out_dir, "Output folder (default samq_out)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  AddPrecisionOption(cmd, &args->precision);
  actions[cmd] = [args] { return RunSegment(*args); };
}

}  // namespace samq::cli
