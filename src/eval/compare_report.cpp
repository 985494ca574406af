#include "eval/compare_report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace samq::eval {
namespace {

using nlohmann::json;

// JSON has no infinities: SQNR of identical tensors is "inf" ("-inf" for a zero reference).
json Number(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return nullptr;
  return v;
}

std::string Db(double v) { return std::isinf(v) ? (v > 0 ? "inf" : "-inf") : fmt::format("{:.2f}", v); }

json PromptJson(const EvalPrompt& p) {
  json j;
  j["kind"] = p.kind;
  json pts = json::array(), boxes = json::array();
  for (const auto& pt : p.prompt.points) pts.push_back({{"x", pt.x}, {"y", pt.y}, {"label", pt.label}});
  for (const auto& b : p.prompt.boxes) boxes.push_back({b.x0, b.y0, b.x1, b.y1});
  j["points"] = pts;
  j["boxes"] = boxes;
  if (p.annotation_id >= 0) {
    j["annotation_id"] = p.annotation_id;
    j["category_id"] = p.category_id;
  }
  return j;
}

json GtJson(const std::map<std::string, GroundTruthScore>& m) {
  json j = json::object();
  for (const auto& [kind, g] : m)
    j[kind] = {{"instances", g.instances}, {"miou", g.miou}, {"ap", g.ap.ap}, {"ap50", g.ap.ap50},
               {"ap75", g.ap.ap75}, {"categories", g.ap.categories}};
  return j;
}

}  // namespace

std::string CompareReportJson(const CompareResult& r, const CompareOptions& o) {
  json j;
  j["reference"] = o.reference.empty() ? o.candidate : o.reference;
  j["candidate"] = o.candidate.empty() ? o.reference : o.candidate;
  // Sides whose encoder outputs came from another runtime (their latencies are not measured).
  if (r.reference_external) j["reference_outputs"] = o.reference_outputs_dir;
  if (r.candidate_external) j["candidate_outputs"] = o.candidate_outputs_dir;
  j["decoder"] = o.decoder;
  j["candidate_decoder"] = o.candidate_decoder.empty() ? o.decoder : o.candidate_decoder;
  j["images_dir"] = o.images_dir;
  j["annotations"] = o.annotations;
  j["family"] = r.family;
  j["prompts"] = r.prompts;
  if (r.prompts == "grid") j["grid"] = o.grid;
  j["threads"] = r.threads;
  json s;
  s["images"] = r.images.size();
  s["prompts"] = r.prompt_count;
  s["miou"] = r.miou;
  s["min_iou"] = r.min_iou;
  s["embedding_cosine_mean"] = r.embedding_cosine_mean;
  s["embedding_cosine_min"] = r.embedding_cosine_min;
  s["embedding_sqnr_db_mean"] = Number(r.embedding_sqnr_db_mean);
  s["embedding_sqnr_db_min"] = Number(r.embedding_sqnr_db_min);
  s["reference_bytes"] = r.reference_bytes;
  s["candidate_bytes"] = r.candidate_bytes;
  s["reference_encoder_ms_median"] = r.reference_encoder_ms_median;
  s["candidate_encoder_ms_median"] = r.candidate_encoder_ms_median;
  j["summary"] = s;
  j["ground_truth"] = {{"reference", GtJson(r.reference_gt)}, {"candidate", GtJson(r.candidate_gt)}};
  json images = json::array();
  for (const auto& im : r.images) {
    json ji;
    ji["file"] = im.file;
    ji["height"] = im.height;
    ji["width"] = im.width;
    ji["miou"] = im.miou;
    ji["min_iou"] = im.min_iou;
    ji["embedding"] = {{"cosine", im.embedding.cosine},
                       {"sqnr_db", Number(im.embedding.sqnr_db)},
                       {"max_abs_error", im.embedding.max_abs_error},
                       {"mean_abs_error", im.embedding.mean_abs_error}};
    ji["reference_encoder_ms"] = im.reference_encoder_ms;
    ji["candidate_encoder_ms"] = im.candidate_encoder_ms;
    json ps = json::array();
    for (const auto& p : im.prompts) {
      json jp = PromptJson(p.prompt);
      jp["compared"] = p.compared;
      jp["iou"] = p.iou;
      jp["reference_score"] = p.reference_score;
      jp["candidate_score"] = p.candidate_score;
      if (p.reference_gt_iou) jp["reference_gt_iou"] = *p.reference_gt_iou;
      if (p.candidate_gt_iou) jp["candidate_gt_iou"] = *p.candidate_gt_iou;
      ps.push_back(std::move(jp));
    }
    ji["prompts"] = std::move(ps);
    images.push_back(std::move(ji));
  }
  j["images"] = std::move(images);
  return j.dump(1) + "\n";
}

std::string CompareMarkdown(const CompareResult& r, const CompareOptions& o) {
  std::string out = fmt::format("## samq compare ({}, {} prompts, {} image(s), {} prompt(s))\n\n", r.family,
                                r.prompts, r.images.size(), r.prompt_count);
  out += "| image | prompts | mIoU | min IoU | emb. cosine | SQNR dB | ref. encoder ms | cand. encoder ms |\n";
  out += "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& im : r.images) {
    int64_t n = 0;
    for (const auto& p : im.prompts) n += p.compared;
    out += fmt::format("| {} | {} | {:.4f} | {:.4f} | {:.6f} | {} | {:.1f} | {:.1f} |\n", im.file, n, im.miou,
                       im.min_iou, im.embedding.cosine, Db(im.embedding.sqnr_db), im.reference_encoder_ms,
                       im.candidate_encoder_ms);
  }
  out += "\n| | reference | candidate |\n|---|---:|---:|\n";
  auto side = [](const std::string& model, const std::string& other, bool external, const std::string& dir) {
    const std::string m = model.empty() ? other : model;
    return external ? fmt::format("{} (encoder outputs read from {})", m, dir) : m;
  };
  out += fmt::format("| model | {} | {} |\n", side(o.reference, o.candidate, r.reference_external, o.reference_outputs_dir),
                     side(o.candidate, o.reference, r.candidate_external, o.candidate_outputs_dir));
  out += fmt::format("| size (MB, with external data) | {:.2f} | {:.2f} |\n", r.reference_bytes / 1e6,
                     r.candidate_bytes / 1e6);
  auto ms = [](double v, bool external) { return external ? std::string("not run here") : fmt::format("{:.1f}", v); };
  out += fmt::format("| encoder ms (median, {} threads) | {} | {} |\n",
                     r.threads ? std::to_string(r.threads) : std::string("all"),
                     ms(r.reference_encoder_ms_median, r.reference_external),
                     ms(r.candidate_encoder_ms_median, r.candidate_external));
  for (const auto& [kind, g] : r.reference_gt) {
    const auto it = r.candidate_gt.find(kind);
    if (it == r.candidate_gt.end()) continue;
    out += fmt::format("| GT mIoU, {} prompts ({} instances) | {:.4f} | {:.4f} |\n", kind, g.instances, g.miou,
                       it->second.miou);
    out += fmt::format("| GT mask AP@[.5:.95], {} prompts | {:.4f} | {:.4f} |\n", kind, g.ap.ap, it->second.ap.ap);
  }
  out += fmt::format("\n**candidate vs reference:** mIoU {:.4f}, min IoU {:.4f}, embedding cosine {:.6f} (min {:.6f}), "
                     "SQNR {} dB (min {})\n",
                     r.miou, r.min_iou, r.embedding_cosine_mean, r.embedding_cosine_min, Db(r.embedding_sqnr_db_mean),
                     Db(r.embedding_sqnr_db_min));
  return out;
}

Status CheckReportPath(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return Status::User("--report: empty path");
  if (fs::is_directory(path, ec)) return Status::UserF("--report {}: is a folder", path.string());
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) return Status::UserF("--report {}: folder {} does not exist", path.string(), dir.string());
  if (::access(dir.c_str(), W_OK) != 0)
    return Status::UserF("--report {}: folder {} is not writable", path.string(), dir.string());
  return Status::Ok();
}

}  // namespace samq::eval
