#include "eval/coco_masks.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace samq::eval {
namespace {

constexpr double kScale = 5.0;  // maskApi's sub-pixel upsampling factor

// The dense boundary chain of a closed polygon in the upsampled grid (step 2 above).
void WalkEdges(const std::vector<int>& x, const std::vector<int>& y, std::vector<int>& u, std::vector<int>& v) {
  const size_t k = x.size() - 1;  // x/y repeat the first vertex at the end
  for (size_t j = 0; j < k; ++j) {
    int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
    const int dx = std::abs(xe - xs), dy = std::abs(ys - ye);
    const bool along_x = dx >= dy;
    // Edges are always walked from the lower end of their major axis, so the rounding of the
    // minor coordinate does not depend on the polygon's orientation; `flip` then restores the
    // order of the points along the original direction.
    const bool flip = (along_x && xs > xe) || (!along_x && ys > ye);
    if (flip) {
      std::swap(xs, xe);
      std::swap(ys, ye);
    }
    if (along_x) {
      const double slope = dx ? static_cast<double>(ye - ys) / dx : 0.0;
      for (int d = 0; d <= dx; ++d) {
        const int t = flip ? dx - d : d;
        u.push_back(t + xs);
        v.push_back(static_cast<int>(ys + slope * t + 0.5));
      }
    } else {
      const double slope = static_cast<double>(xe - xs) / dy;
      for (int d = 0; d <= dy; ++d) {
        const int t = flip ? dy - d : d;
        v.push_back(t + ys);
        u.push_back(static_cast<int>(xs + slope * t + 0.5));
      }
    }
  }
}

// Column-major toggle positions -> RLE counts (step 4). Equal positions cancel out.
sam::Rle TogglesToRle(std::vector<uint64_t> toggles, int64_t height, int64_t width) {
  const uint64_t total = static_cast<uint64_t>(height) * static_cast<uint64_t>(width);
  toggles.push_back(total);
  std::sort(toggles.begin(), toggles.end());
  std::vector<uint64_t> runs;
  uint64_t prev = 0;
  for (uint64_t t : toggles) {
    runs.push_back(t - prev);
    prev = t;
  }
  sam::Rle rle;
  rle.height = height;
  rle.width = width;
  // A zero-length run between two toggles means the two toggles annihilate: fold the run that
  // follows into the previous one. The first run (0s before the first toggle) may be empty.
  size_t j = 0;
  rle.counts.push_back(static_cast<uint32_t>(runs[j++]));
  while (j < runs.size()) {
    if (runs[j] > 0) {
      rle.counts.push_back(static_cast<uint32_t>(runs[j++]));
    } else {
      ++j;
      if (j < runs.size()) rle.counts.back() += static_cast<uint32_t>(runs[j++]);
    }
  }
  return rle;
}

}  // namespace

sam::Rle PolygonToRle(const std::vector<double>& xy, int64_t height, int64_t width) {
  const size_t k = xy.size() / 2;
  std::vector<int> x(k + 1), y(k + 1);
  for (size_t j = 0; j < k; ++j) {
    x[j] = static_cast<int>(kScale * xy[2 * j] + 0.5);
    y[j] = static_cast<int>(kScale * xy[2 * j + 1] + 0.5);
  }
  if (k == 0) return TogglesToRle({}, height, width);
  x[k] = x[0];
  y[k] = y[0];
  std::vector<int> u, v;
  WalkEdges(x, y, u, v);

  // Step 3: a column change in the chain crosses a vertical line; keep those at pixel centres.
  std::vector<uint64_t> toggles;
  for (size_t j = 1; j < u.size(); ++j) {
    if (u[j] == u[j - 1]) continue;
    double xd = static_cast<double>(u[j] < u[j - 1] ? u[j] : u[j] - 1);
    xd = (xd + 0.5) / kScale - 0.5;
    if (std::floor(xd) != xd || xd < 0 || xd > static_cast<double>(width - 1)) continue;
    double yd = static_cast<double>(v[j] < v[j - 1] ? v[j] : v[j - 1]);
    yd = (yd + 0.5) / kScale - 0.5;
    yd = std::ceil(std::clamp(yd, 0.0, static_cast<double>(height)));
    toggles.push_back(static_cast<uint64_t>(xd) * static_cast<uint64_t>(height) + static_cast<uint64_t>(yd));
  }
  return TogglesToRle(std::move(toggles), height, width);
}

sam::Rle MergeRles(const std::vector<sam::Rle>& rles, int64_t height, int64_t width) {
  if (rles.size() == 1) return rles[0];
  // Decoding to a column-major bitmap and re-encoding is simple and fast enough for GT sizes.
  const size_t n = static_cast<size_t>(height * width);
  std::vector<uint8_t> colmajor(n, 0);
  for (const auto& r : rles) {
    size_t pos = 0;
    bool on = false;
    for (uint32_t c : r.counts) {
      if (on) std::fill(colmajor.begin() + pos, colmajor.begin() + std::min(n, pos + c), 1);
      pos += c;
      on = !on;
    }
  }
  sam::Rle out;
  out.height = height;
  out.width = width;
  uint8_t cur = 0;
  uint32_t run = 0;
  for (size_t i = 0; i < n; ++i) {
    if (colmajor[i] != cur) {
      out.counts.push_back(run);
      run = 0;
      cur = colmajor[i];
    }
    ++run;
  }
  out.counts.push_back(run);
  return out;
}

Result<sam::Rle> SegmentationToRle(const nlohmann::json& seg, int64_t height, int64_t width,
                                   const std::string& what) {
  if (seg.is_array()) {
    std::vector<sam::Rle> parts;
    for (const auto& poly : seg) {
      if (!poly.is_array() || poly.size() < 6 || poly.size() % 2)
        return Status::UserF("{}: a polygon must be a list of at least 3 x,y pairs", what);
      std::vector<double> xy;
      for (const auto& c : poly) {
        if (!c.is_number()) return Status::UserF("{}: polygon coordinates must be numbers", what);
        xy.push_back(c.get<double>());
      }
      parts.push_back(PolygonToRle(xy, height, width));
    }
    if (parts.empty()) return Status::UserF("{}: empty polygon list", what);
    return MergeRles(parts, height, width);
  }
  if (!seg.is_object() || !seg.contains("counts") || !seg.contains("size"))
    return Status::UserF("{}: segmentation must be a polygon list or an RLE object with counts and size", what);
  const auto& size = seg["size"];
  if (!size.is_array() || size.size() != 2 || !size[0].is_number_integer() || !size[1].is_number_integer() ||
      size[0].get<int64_t>() != height || size[1].get<int64_t>() != width)
    return Status::UserF("{}: RLE size does not match the image ({}x{})", what, height, width);
  const auto& counts = seg["counts"];
  if (counts.is_string()) return sam::RleFromString(counts.get<std::string>(), height, width);
  if (!counts.is_array()) return Status::UserF("{}: RLE counts must be a string or a list", what);
  sam::Rle rle;
  rle.height = height;
  rle.width = width;
  for (const auto& c : counts) {
    if (!c.is_number_integer() || c.get<int64_t>() < 0) return Status::UserF("{}: RLE counts must be non-negative integers", what);
    rle.counts.push_back(static_cast<uint32_t>(c.get<int64_t>()));
  }
  SAMQ_RETURN_IF_ERROR(sam::ValidateRle(rle));
  return rle;
}

}  // namespace samq::eval
