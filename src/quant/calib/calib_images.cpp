#include "quant/calib/calib_images.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <system_error>

namespace samq::quant {

namespace fs = std::filesystem;

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

Result<CalibImages> CalibImages::FromDir(const fs::path& dir, const std::vector<std::string>& extensions,
                                         int64_t count, std::vector<std::string>* warnings) {
  if (count < 1) return Status::UserF("--calib-size {}: need at least 1 calibration image", count);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::UserF("--calib-dir '{}' is not a folder (missing?)", dir.string());
  std::vector<std::string> exts;
  for (const auto& e : extensions) exts.push_back(Lower(e.size() && e[0] == '.' ? e.substr(1) : e));
  std::vector<fs::path> images;
  int64_t skipped = 0;
  std::string first_skipped;
  fs::directory_iterator it(dir, ec), end;
  if (ec) return Status::UserF("--calib-dir '{}' cannot be read: {}", dir.string(), ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::UserF("--calib-dir '{}' cannot be read: {}", dir.string(), ec.message());
    if (!it->is_regular_file(ec)) continue;
    std::string ext = Lower(it->path().extension().string());
    if (!ext.empty()) ext = ext.substr(1);
    if (std::find(exts.begin(), exts.end(), ext) != exts.end()) {
      images.push_back(it->path());
    } else {
      if (skipped++ == 0) first_skipped = it->path().filename().string();
    }
  }
  std::string ext_list;
  for (const auto& e : exts) ext_list += (ext_list.empty() ? "" : ",") + e;
  if (skipped > 0 && warnings)
    warnings->push_back(fmt::format("skipped {} file(s) in {} that are not {} images (first: {})", skipped,
                                    dir.string(), ext_list, first_skipped));
  if (images.empty())
    return Status::UserF("--calib-dir '{}' has no {} images{}", dir.string(), ext_list,
                         skipped ? fmt::format(" ({} other file(s) skipped)", skipped) : std::string(" (empty)"));
  std::sort(images.begin(), images.end());
  CalibImages c;
  c.count_ = std::min<int64_t>(count, static_cast<int64_t>(images.size()));
  images.resize(c.count_);
  c.files_ = std::move(images);
  if (c.count_ < count && warnings)
    warnings->push_back(fmt::format("--calib-size {} asked, {} has only {} image(s): using them all", count,
                                    dir.string(), c.count_));
  return c;
}

Result<CalibImages> CalibImages::Random(int64_t count, uint64_t seed) {
  if (count < 1) return Status::UserF("--calib-size {}: need at least 1 calibration sample", count);
  CalibImages c;
  c.count_ = count;
  c.random_ = true;
  c.seed_ = seed;
  return c;
}

std::string CalibImages::name(int64_t i) const {
  return random_ ? fmt::format("random-{}", i) : files_[i].filename().string();
}

Result<io::Image> CalibImages::Get(int64_t i) const {
  if (random_) return MakeRandomImage(seed_, i);
  return io::ReadImage(files_[i]);
}

io::Image MakeRandomImage(uint64_t seed, int64_t index) {
  std::mt19937_64 rng(seed * 1000003ULL + static_cast<uint64_t>(index));
  std::uniform_real_distribution<double> u(0.0, 1.0);
  io::Image img;
  img.height = 480;
  img.width = 640;
  img.rgb.resize(img.height * img.width * 3);
  struct Blob { double cx, cy, r, c[3]; };
  std::vector<Blob> blobs(6);
  for (auto& b : blobs) b = {u(rng) * 640, u(rng) * 480, 30 + u(rng) * 150, {u(rng) * 255, u(rng) * 255, u(rng) * 255}};
  double base[3][3];  // per channel: offset and x/y gradients
  for (auto& ch : base) ch[0] = u(rng) * 255, ch[1] = (u(rng) - 0.5) * 0.4, ch[2] = (u(rng) - 0.5) * 0.4;
  std::normal_distribution<double> noise(0.0, 8.0);
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x)
      for (int c = 0; c < 3; ++c) {
        double v = base[c][0] + base[c][1] * x + base[c][2] * y;
        for (const auto& b : blobs)
          if (std::hypot(x - b.cx, y - b.cy) < b.r) v = b.c[c];
        img.rgb[(y * img.width + x) * 3 + c] = static_cast<uint8_t>(std::clamp(v + noise(rng), 0.0, 255.0));
      }
  return img;
}

}  // namespace samq::quant
