// COCO instance annotations (the subset samq evaluates with): images, instance annotations with
// their masks, and prediction ("results") files in COCO's format.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "sam/rle.h"

namespace samq::eval {

struct CocoImage {
  int64_t id = 0;
  std::string file_name;
  int64_t height = 0, width = 0;
};

struct CocoAnnotation {
  int64_t id = 0, image_id = 0, category_id = 0;
  bool iscrowd = false;
  double area = 0;                  // as stored in the JSON (COCO's area ranges use it)
  std::array<double, 4> bbox{};     // x, y, w, h
  sam::Rle rle;                     // the decoded segmentation
};

struct CocoDataset {
  std::vector<CocoImage> images;
  std::vector<CocoAnnotation> annotations;
  std::vector<int64_t> category_ids;  // from "categories", in file order
  const CocoImage* FindImageByFile(const std::string& file_name) const;
  const CocoImage* FindImage(int64_t id) const;
};

// Reads and checks an instances_*.json; every polygon/RLE is decoded. User errors name the file.
Result<CocoDataset> LoadCocoDataset(const std::filesystem::path& path);

// One predicted mask in COCO results form.
struct CocoDetection {
  int64_t image_id = 0, category_id = 0;
  double score = 0;
  sam::Rle rle;
};
// Reads a COCO results JSON (a list of {image_id, category_id, segmentation: RLE, score});
// sizes are checked against `dataset`'s images.
Result<std::vector<CocoDetection>> LoadCocoResults(const std::filesystem::path& path, const CocoDataset& dataset);

}  // namespace samq::eval
