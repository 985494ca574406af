#include "eval/prompt_sets.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "sam/rle.h"

namespace samq::eval {
namespace {

// 1-D squared distance transform of f (Felzenszwalb & Huttenlocher: lower envelope of parabolas).
void Edt1d(const std::vector<double>& f, std::vector<double>& d, std::vector<int>& v, std::vector<double>& z) {
  const int n = static_cast<int>(f.size());
  constexpr double kInf = std::numeric_limits<double>::infinity();
  int k = 0;
  v[0] = 0;
  z[0] = -kInf;
  z[1] = kInf;
  for (int q = 1; q < n; ++q) {
    if (f[q] == kInf) continue;  // a parabola at infinity never enters the envelope
    if (f[v[k]] == kInf) {       // the envelope so far is only infinite parabolas: replace them
      v[k] = q;
      continue;
    }
    double s;
    while (true) {
      s = ((f[q] + double(q) * q) - (f[v[k]] + double(v[k]) * v[k])) / (2.0 * q - 2.0 * v[k]);
      if (s > z[k] || k == 0) break;
      --k;
    }
    if (s <= z[k]) {  // k == 0 and the new parabola dominates everywhere
      v[0] = q;
      continue;
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = kInf;
  }
  k = 0;
  for (int q = 0; q < n; ++q) {
    while (z[k + 1] < q) ++k;
    const double dq = q - v[k];
    d[q] = f[v[k]] == kInf ? kInf : dq * dq + f[v[k]];
  }
}

}  // namespace

std::vector<EvalPrompt> GridPrompts(int64_t height, int64_t width, int n) {
  std::vector<EvalPrompt> out;
  for (int iy = 0; iy < n; ++iy)
    for (int ix = 0; ix < n; ++ix) {
      EvalPrompt p;
      p.kind = "grid";
      p.prompt.points.push_back({static_cast<float>((ix + 0.5) * width / n), static_cast<float>((iy + 0.5) * height / n), 1});
      out.push_back(std::move(p));
    }
  return out;
}

std::pair<double, double> MaskCentrePoint(const std::vector<uint8_t>& mask, int64_t h, int64_t w) {
  double sx = 0, sy = 0;
  int64_t count = 0;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (mask[y * w + x]) sx += x, sy += y, ++count;
  if (count == 0) return {-1, -1};
  // Pixel centres: the pixel (x, y) covers [x, x+1) x [y, y+1).
  const double cx = sx / count, cy = sy / count;
  const int64_t px = static_cast<int64_t>(std::lround(cx)), py = static_cast<int64_t>(std::lround(cy));
  if (px >= 0 && py >= 0 && px < w && py < h && mask[py * w + px]) return {cx + 0.5, cy + 0.5};
  // Squared distance of every inside pixel to the nearest outside pixel (the image border counts
  // as outside, so the pad is one pixel wide on each side).
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const int64_t H = h + 2, W = w + 2;
  std::vector<double> grid(H * W, 0.0);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) grid[(y + 1) * W + x + 1] = mask[y * w + x] ? kInf : 0.0;
  const int64_t longest = std::max(H, W);
  std::vector<double> f(longest), d(longest), z(longest + 1);
  std::vector<int> v(longest);
  for (int64_t x = 0; x < W; ++x) {
    f.resize(H), d.resize(H);
    for (int64_t y = 0; y < H; ++y) f[y] = grid[y * W + x];
    Edt1d(f, d, v, z);
    for (int64_t y = 0; y < H; ++y) grid[y * W + x] = d[y];
  }
  f.resize(W), d.resize(W);
  double best = -1;
  int64_t bx = 0, by = 0;
  for (int64_t y = 0; y < H; ++y) {
    for (int64_t x = 0; x < W; ++x) f[x] = grid[y * W + x];
    Edt1d(f, d, v, z);
    for (int64_t x = 0; x < W; ++x)
      if (d[x] > best) best = d[x], bx = x - 1, by = y - 1;  // first maximum in row-major order
  }
  return {bx + 0.5, by + 0.5};
}

std::vector<EvalPrompt> GroundTruthPrompts(const CocoDataset& ds, const CocoImage& image) {
  std::vector<EvalPrompt> out;
  for (const auto& a : ds.annotations) {
    if (a.image_id != image.id || a.iscrowd || sam::RleArea(a.rle) == 0) continue;
    EvalPrompt box;
    box.kind = "gt-box";
    box.annotation_id = a.id;
    box.category_id = a.category_id;
    auto clampf = [](double v, int64_t hi) { return static_cast<float>(std::clamp(v, 0.0, static_cast<double>(hi))); };
    box.prompt.boxes.push_back({clampf(a.bbox[0], image.width), clampf(a.bbox[1], image.height),
                                clampf(a.bbox[0] + a.bbox[2], image.width), clampf(a.bbox[1] + a.bbox[3], image.height)});
    out.push_back(box);
    const auto mask = sam::DecodeRle(a.rle, 1);
    auto [x, y] = MaskCentrePoint(mask, image.height, image.width);
    EvalPrompt point;
    point.kind = "gt-point";
    point.annotation_id = a.id;
    point.category_id = a.category_id;
    point.prompt.points.push_back({static_cast<float>(x), static_cast<float>(y), 1});
    out.push_back(point);
  }
  return out;
}

Result<std::vector<EvalPrompt>> LoadPromptFile(const std::filesystem::path& path) {
  SAMQ_ASSIGN_OR_RETURN(std::string text, io::ReadFile(path));
  const std::string name = path.string();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::UserF("{}: not valid JSON", name);
  if (!j.is_array() || j.empty()) return Status::UserF("{}: expected a non-empty JSON list of prompts", name);
  // One prompt (a list of objects) or a list of prompt groups (a list of lists).
  std::vector<nlohmann::json> groups;
  if (j[0].is_array()) {
    for (const auto& g : j) {
      if (!g.is_array()) return Status::UserF("{}: mixes prompt groups (lists) with prompt objects", name);
      groups.push_back(g);
    }
  } else {
    groups.push_back(j);
  }
  std::vector<EvalPrompt> out;
  for (size_t i = 0; i < groups.size(); ++i) {
    EvalPrompt p;
    p.kind = "file";
    const std::string where = groups.size() > 1 ? fmt::format("{} (group {})", name, i) : name;
    SAMQ_RETURN_IF_ERROR(sam::ParsePromptJson(groups[i].dump(), where, p.prompt));
    if (p.prompt.empty()) return Status::UserF("{}: empty prompt group", where);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace samq::eval
