#include "sam/result_json.h"

#include "io/atomic_file.h"

namespace samq::sam {

using ojson = nlohmann::ordered_json;

MaskResult MakeMaskResult(const BinaryMask& mask, std::string file, float score) {
  MaskResult m;
  m.file = std::move(file);
  m.score = score;
  m.rle = EncodeRle(mask.pixels.data(), mask.height, mask.width);
  m.area = RleArea(m.rle);
  m.bbox = RleBbox(m.rle);
  return m;
}

PromptRecord MakePromptRecord(const Prompt& prompt, std::string mask_input_file) {
  PromptRecord r;
  r.prompts = ToOverlayPrompts(prompt);
  r.multimask = prompt.multimask;
  r.mask_input = std::move(mask_input_file);
  return r;
}

namespace {

ojson PromptToJson(const PromptRecord& p) {
  ojson j = ojson::object();
  ojson points = ojson::array(), labels = ojson::array(), boxes = ojson::array();
  for (const auto& pt : p.prompts.points) points.push_back({pt[0], pt[1]});
  for (size_t i = 0; i < p.prompts.points.size(); ++i) {
    labels.push_back(i < p.prompts.labels.size() ? p.prompts.labels[i] : 1);
  }
  for (const auto& b : p.prompts.boxes) boxes.push_back({b[0], b[1], b[2], b[3]});
  j["points"] = std::move(points);
  j["labels"] = std::move(labels);
  j["boxes"] = std::move(boxes);
  j["multimask"] = p.multimask;
  if (!p.mask_input.empty()) j["mask_input"] = p.mask_input;
  return j;
}

}  // namespace

ojson ResultToJson(const SegmentResult& r) {
  ojson j = ojson::object();
  j["image"] = r.image;
  j["image_size"] = {r.height, r.width};
  j["family"] = r.family;
  ojson masks = ojson::array();
  for (const MaskResult& m : r.masks) {
    ojson mj = ojson::object();
    mj["file"] = m.file;
    mj["score"] = static_cast<double>(m.score);
    mj["area"] = m.area;
    mj["bbox"] = {m.bbox[0], m.bbox[1], m.bbox[2], m.bbox[3]};
    ojson rle = ojson::object();
    rle["size"] = {m.rle.height, m.rle.width};
    rle["counts"] = RleToString(m.rle);
    mj["rle"] = std::move(rle);
    if (m.token >= 0) mj["token"] = m.token;
    if (m.stability_score) mj["stability_score"] = static_cast<double>(*m.stability_score);
    masks.push_back(std::move(mj));
  }
  j["masks"] = std::move(masks);
  ojson timings = ojson::object();
  for (const auto& [name, ms] : r.timings_ms) timings[name] = ms;
  j["timings_ms"] = std::move(timings);

  if (!r.encoder_model.empty() || !r.decoder_model.empty()) {
    j["model"] = {{"encoder", r.encoder_model}, {"decoder", r.decoder_model}};
  }
  if (r.prompt) j["prompt"] = PromptToJson(*r.prompt);
  if (!r.low_res_logits.empty()) j["low_res_logits"] = r.low_res_logits;
  if (!r.overlay.empty()) j["overlay"] = r.overlay;
  if (r.threads > 0) j["threads"] = r.threads;
  if (!r.samq_version.empty()) j["samq_version"] = r.samq_version;
  return j;
}

std::string ResultToJsonText(const SegmentResult& r) { return ResultToJson(r).dump(2) + "\n"; }

Status WriteResultJson(const std::filesystem::path& path, const SegmentResult& r) {
  return io::WriteFileAtomic(path, ResultToJsonText(r));
}

namespace {

// Field access that names what is wrong instead of throwing.
Status Need(const ojson& obj, const char* key, ojson::value_t kind, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) {
    return Status::UserF("result.json: {}missing field '{}'", where, key);
  }
  const ojson& v = obj[key];
  bool ok = false;
  switch (kind) {
    case ojson::value_t::number_float: ok = v.is_number(); break;
    case ojson::value_t::number_integer: ok = v.is_number_integer(); break;
    default: ok = v.type() == kind; break;
  }
  if (!ok) return Status::UserF("result.json: {}field '{}' has the wrong type", where, key);
  return Status::Ok();
}

Status ReadIntPair(const ojson& v, const std::string& what, int64_t& a, int64_t& b) {
  if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() || !v[1].is_number_integer()) {
    return Status::UserF("result.json: {} must be [h, w] integers", what);
  }
  a = v[0].get<int64_t>();
  b = v[1].get<int64_t>();
  return Status::Ok();
}

Result<MaskResult> ParseMask(const ojson& mj, size_t index) {
  const std::string where = "masks[" + std::to_string(index) + "]: ";
  using vt = ojson::value_t;
  SAMQ_RETURN_IF_ERROR(Need(mj, "file", vt::string, where));
  SAMQ_RETURN_IF_ERROR(Need(mj, "score", vt::number_float, where));
  SAMQ_RETURN_IF_ERROR(Need(mj, "area", vt::number_integer, where));
  SAMQ_RETURN_IF_ERROR(Need(mj, "bbox", vt::array, where));
  SAMQ_RETURN_IF_ERROR(Need(mj, "rle", vt::object, where));
  const ojson& rj = mj["rle"];
  SAMQ_RETURN_IF_ERROR(Need(rj, "size", vt::array, where + "rle: "));
  SAMQ_RETURN_IF_ERROR(Need(rj, "counts", vt::string, where + "rle: "));
  MaskResult m;
  m.file = mj["file"].get<std::string>();
  m.score = mj["score"].get<float>();
  m.area = mj["area"].get<int64_t>();
  const ojson& bb = mj["bbox"];
  if (bb.size() != 4) return Status::UserF("result.json: {}bbox must have 4 numbers", where);
  for (size_t i = 0; i < 4; ++i) {
    if (!bb[i].is_number()) return Status::UserF("result.json: {}bbox must be numbers", where);
    m.bbox[i] = static_cast<int64_t>(bb[i].get<double>());
  }
  int64_t h = 0, w = 0;
  SAMQ_RETURN_IF_ERROR(ReadIntPair(rj["size"], where + "rle.size", h, w));
  auto rle = RleFromString(rj["counts"].get<std::string>(), h, w);
  if (!rle.ok()) return rle.status().WithContext("result.json: " + where + "rle");
  m.rle = std::move(rle).value();
  if (mj.contains("token") && mj["token"].is_number_integer()) m.token = mj["token"].get<int64_t>();
  if (mj.contains("stability_score") && mj["stability_score"].is_number()) {
    m.stability_score = mj["stability_score"].get<float>();
  }
  return m;
}

Result<PromptRecord> ParsePrompt(const ojson& pj) {
  PromptRecord p;
  auto bad = [](const char* what) { return Status::UserF("result.json: prompt.{} is malformed", what); };
  if (pj.contains("points")) {
    if (!pj["points"].is_array()) return bad("points");
    for (const ojson& pt : pj["points"]) {
      if (!pt.is_array() || pt.size() != 2 || !pt[0].is_number() || !pt[1].is_number()) {
        return bad("points");
      }
      p.prompts.points.push_back({pt[0].get<float>(), pt[1].get<float>()});
    }
  }
  if (pj.contains("labels")) {
    if (!pj["labels"].is_array()) return bad("labels");
    for (const ojson& l : pj["labels"]) {
      if (!l.is_number_integer()) return bad("labels");
      p.prompts.labels.push_back(l.get<int>());
    }
  }
  if (pj.contains("boxes")) {
    if (!pj["boxes"].is_array()) return bad("boxes");
    for (const ojson& b : pj["boxes"]) {
      if (!b.is_array() || b.size() != 4) return bad("boxes");
      std::array<float, 4> box{};
      for (size_t i = 0; i < 4; ++i) {
        if (!b[i].is_number()) return bad("boxes");
        box[i] = b[i].get<float>();
      }
      p.prompts.boxes.push_back(box);
    }
  }
  if (pj.contains("multimask") && pj["multimask"].is_boolean()) {
    p.multimask = pj["multimask"].get<bool>();
  }
  if (pj.contains("mask_input") && pj["mask_input"].is_string()) {
    p.mask_input = pj["mask_input"].get<std::string>();
  }
  return p;
}

}  // namespace

Result<SegmentResult> ParseResultJson(std::string_view text) {
  ojson j = ojson::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::User("result.json: not valid JSON");
  if (!j.is_object()) return Status::User("result.json: the top level must be an object");
  using vt = ojson::value_t;
  SAMQ_RETURN_IF_ERROR(Need(j, "image", vt::string, ""));
  SAMQ_RETURN_IF_ERROR(Need(j, "image_size", vt::array, ""));
  SAMQ_RETURN_IF_ERROR(Need(j, "family", vt::string, ""));
  SAMQ_RETURN_IF_ERROR(Need(j, "masks", vt::array, ""));
  SAMQ_RETURN_IF_ERROR(Need(j, "timings_ms", vt::object, ""));
  SegmentResult r;
  r.image = j["image"].get<std::string>();
  SAMQ_RETURN_IF_ERROR(ReadIntPair(j["image_size"], "image_size", r.height, r.width));
  r.family = j["family"].get<std::string>();
  for (size_t i = 0; i < j["masks"].size(); ++i) {
    SAMQ_ASSIGN_OR_RETURN(MaskResult m, ParseMask(j["masks"][i], i));
    r.masks.push_back(std::move(m));
  }
  for (const auto& [name, v] : j["timings_ms"].items()) {
    if (!v.is_number()) return Status::UserF("result.json: timings_ms.{} must be a number", name);
    r.timings_ms.emplace_back(name, v.get<double>());
  }
  if (j.contains("model") && j["model"].is_object()) {
    const ojson& mj = j["model"];
    if (mj.contains("encoder") && mj["encoder"].is_string()) r.encoder_model = mj["encoder"].get<std::string>();
    if (mj.contains("decoder") && mj["decoder"].is_string()) r.decoder_model = mj["decoder"].get<std::string>();
  }
  if (j.contains("prompt")) {
    if (!j["prompt"].is_object()) return Status::User("result.json: prompt must be an object");
    SAMQ_ASSIGN_OR_RETURN(PromptRecord p, ParsePrompt(j["prompt"]));
    r.prompt = std::move(p);
  }
  if (j.contains("low_res_logits") && j["low_res_logits"].is_string()) {
    r.low_res_logits = j["low_res_logits"].get<std::string>();
  }
  if (j.contains("overlay") && j["overlay"].is_string()) r.overlay = j["overlay"].get<std::string>();
  if (j.contains("threads") && j["threads"].is_number_integer()) r.threads = j["threads"].get<int>();
  if (j.contains("samq_version") && j["samq_version"].is_string()) {
    r.samq_version = j["samq_version"].get<std::string>();
  }
  return r;
}

}  // namespace samq::sam
