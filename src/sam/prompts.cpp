#include "sam/prompts.h"

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace samq::sam {
namespace {

// Splits on commas and parses finite floats; nullopt on any malformed field.
std::optional<std::vector<float>> parse_floats(const std::string& text) {
  std::vector<float> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string field = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (field.empty()) return std::nullopt;
    char* end = nullptr;
    float v = std::strtof(field.c_str(), &end);
    if (end == field.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<Point> ParsePoint(const std::string& text) {
  auto v = parse_floats(text);
  if (!v || (v->size() != 2 && v->size() != 3))
    return Status::UserF("point '{}': expected X,Y or X,Y,LABEL", text);
  Point p{(*v)[0], (*v)[1], 1};
  if (v->size() == 3) {
    if ((*v)[2] != 0.f && (*v)[2] != 1.f)
      return Status::UserF("point '{}': label must be 0 (background) or 1 (foreground)", text);
    p.label = static_cast<int>((*v)[2]);
  }
  return p;
}

Result<Box> ParseBox(const std::string& text) {
  auto v = parse_floats(text);
  if (!v || v->size() != 4) return Status::UserF("box '{}': expected X0,Y0,X1,Y1", text);
  return Box{(*v)[0], (*v)[1], (*v)[2], (*v)[3]};
}

Status ParsePromptJson(const std::string& json_text, const std::string& name, Prompt& out) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::UserF("{}: not valid JSON", name);
  if (!j.is_array()) return Status::UserF("{}: expected a JSON list of prompt objects", name);
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    std::string where = fmt::format("{}: prompt {}", name, i);
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string() || !e.contains("data") ||
        !e["data"].is_array())
      return Status::UserF("{}: expected {{\"type\": ..., \"data\": [...]}}", where);
    std::vector<float> data;
    for (const auto& d : e["data"]) {
      if (!d.is_number()) return Status::UserF("{}: data must be numbers", where);
      data.push_back(d.get<float>());
    }
    std::string type = e["type"].get<std::string>();
    if (type == "point") {
      if (data.size() != 2) return Status::UserF("{}: a point needs data [x, y]", where);
      int label = 1;
      if (e.contains("label")) {
        if (!e["label"].is_number_integer()) return Status::UserF("{}: label must be 0 or 1", where);
        label = e["label"].get<int>();
      }
      out.points.push_back({data[0], data[1], label});
    } else if (type == "rectangle") {
      if (data.size() != 4) return Status::UserF("{}: a rectangle needs data [x0, y0, x1, y1]", where);
      out.boxes.push_back({data[0], data[1], data[2], data[3]});
    } else {
      return Status::UserF("{}: type '{}' is not supported; supported: point, rectangle", where, type);
    }
  }
  return Status::Ok();
}

Status ValidatePrompt(const Prompt& p, int64_t h, int64_t w) {
  if (p.empty()) return Status::User("no prompt given: pass --point, --box, --prompt or --mask-input");
  auto inside = [&](float x, float y) {
    // Coordinates are continuous pixel positions: 0..w and 0..h are inside (a box may end on the
    // image's far edge).
    return std::isfinite(x) && std::isfinite(y) && x >= 0.f && y >= 0.f &&
           x <= static_cast<float>(w) && y <= static_cast<float>(h);
  };
  for (const auto& pt : p.points) {
    if (pt.label != 0 && pt.label != 1)
      return Status::UserF("point ({}, {}): label {} must be 0 (background) or 1 (foreground)", pt.x,
                           pt.y, pt.label);
    if (!inside(pt.x, pt.y))
      return Status::UserF("point ({}, {}) is outside the {}x{} image (width x height)", pt.x, pt.y, w, h);
  }
  for (const auto& b : p.boxes) {
    if (b.x1 < b.x0 || b.y1 < b.y0)
      return Status::UserF("box ({}, {}, {}, {}): needs x0 <= x1 and y0 <= y1", b.x0, b.y0, b.x1, b.y1);
    if (!inside(b.x0, b.y0) || !inside(b.x1, b.y1))
      return Status::UserF("box ({}, {}, {}, {}) is outside the {}x{} image (width x height)", b.x0,
                           b.y0, b.x1, b.y1, w, h);
  }
  if (p.mask_input) {
    const Shape want{1, 1, 256, 256};
    if (p.mask_input->dtype() != DType::kFloat32 || p.mask_input->shape() != want)
      return Status::UserF("mask input must be float32 1x1x256x256 low-res logits, got {} {}",
                           dtype_name(p.mask_input->dtype()), shape_str(p.mask_input->shape()));
  }
  return Status::Ok();
}

}  // namespace samq::sam
