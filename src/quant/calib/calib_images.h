// Where calibration images come from: the first N image files of a folder in sorted order, or
// seeded random images (--random-calib). Images are decoded one at a time, when asked for, so a
// large calibration set does not sit in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/image.h"

namespace samq::quant {

class CalibImages {
 public:
  // User errors: missing/unreadable folder, no files with one of `extensions` (case-insensitive,
  // without the dot), `count` < 1. Other files are skipped; `warnings` says how many.
  static Result<CalibImages> FromDir(const std::filesystem::path& dir, const std::vector<std::string>& extensions,
                                     int64_t count, std::vector<std::string>* warnings);
  static Result<CalibImages> Random(int64_t count, uint64_t seed);

  int64_t size() const { return count_; }
  std::string name(int64_t i) const;  // file name, or "random-<i>"
  Result<io::Image> Get(int64_t i) const;

 private:
  std::vector<std::filesystem::path> files_;
  int64_t count_ = 0;
  bool random_ = false;
  uint64_t seed_ = 0;
};

// A deterministic 480x640 RGB image of smooth color gradients and blobs plus noise, so that
// every layer sees a spread of values (pure noise would make the encoder's statistics unlike
// photos'; flat colors would leave most of the range unused).
io::Image MakeRandomImage(uint64_t seed, int64_t index);

}  // namespace samq::quant
