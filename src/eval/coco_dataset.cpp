#include "eval/coco_dataset.h"

#include <nlohmann/json.hpp>

#include "eval/coco_masks.h"
#include "io/atomic_file.h"

namespace samq::eval {
namespace {

Result<nlohmann::json> ReadJson(const std::filesystem::path& path) {
  SAMQ_ASSIGN_OR_RETURN(std::string text, io::ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::UserF("{}: not valid JSON", path.string());
  return j;
}

bool IsInt(const nlohmann::json& j, const char* key) { return j.contains(key) && j[key].is_number_integer(); }

}  // namespace

const CocoImage* CocoDataset::FindImageByFile(const std::string& file_name) const {
  for (const auto& im : images)
    if (im.file_name == file_name) return &im;
  return nullptr;
}

const CocoImage* CocoDataset::FindImage(int64_t id) const {
  for (const auto& im : images)
    if (im.id == id) return &im;
  return nullptr;
}

Result<CocoDataset> LoadCocoDataset(const std::filesystem::path& path) {
  SAMQ_ASSIGN_OR_RETURN(nlohmann::json j, ReadJson(path));
  const std::string name = path.string();
  if (!j.is_object() || !j.contains("images") || !j["images"].is_array() || !j.contains("annotations") ||
      !j["annotations"].is_array())
    return Status::UserF("{}: not a COCO annotation file (needs \"images\" and \"annotations\" lists)", name);
  CocoDataset ds;
  std::map<int64_t, size_t> image_index;
  for (const auto& im : j["images"]) {
    if (!im.is_object() || !IsInt(im, "id") || !IsInt(im, "height") || !IsInt(im, "width") ||
        !im.contains("file_name") || !im["file_name"].is_string())
      return Status::UserF("{}: every image needs integer id, height, width and a file_name", name);
    CocoImage ci{im["id"].get<int64_t>(), im["file_name"].get<std::string>(), im["height"].get<int64_t>(),
                 im["width"].get<int64_t>()};
    if (ci.height <= 0 || ci.width <= 0) return Status::UserF("{}: image {} has an empty size", name, ci.id);
    image_index[ci.id] = ds.images.size();
    ds.images.push_back(std::move(ci));
  }
  if (j.contains("categories") && j["categories"].is_array())
    for (const auto& c : j["categories"])
      if (IsInt(c, "id")) ds.category_ids.push_back(c["id"].get<int64_t>());
  for (const auto& a : j["annotations"]) {
    if (!a.is_object() || !IsInt(a, "id") || !IsInt(a, "image_id") || !IsInt(a, "category_id") ||
        !a.contains("segmentation"))
      return Status::UserF("{}: every annotation needs integer id, image_id, category_id and a segmentation", name);
    CocoAnnotation ca;
    ca.id = a["id"].get<int64_t>();
    ca.image_id = a["image_id"].get<int64_t>();
    ca.category_id = a["category_id"].get<int64_t>();
    ca.iscrowd = a.contains("iscrowd") && a["iscrowd"].is_number() && a["iscrowd"].get<double>() != 0;
    auto it = image_index.find(ca.image_id);
    if (it == image_index.end())
      return Status::UserF("{}: annotation {} refers to unknown image {}", name, ca.id, ca.image_id);
    const CocoImage& im = ds.images[it->second];
    const std::string what = fmt::format("{}: annotation {}", name, ca.id);
    SAMQ_ASSIGN_OR_RETURN(ca.rle, SegmentationToRle(a["segmentation"], im.height, im.width, what));
    ca.area = a.contains("area") && a["area"].is_number() ? a["area"].get<double>()
                                                          : static_cast<double>(sam::RleArea(ca.rle));
    if (a.contains("bbox") && a["bbox"].is_array() && a["bbox"].size() == 4) {
      for (int k = 0; k < 4; ++k) {
        if (!a["bbox"][k].is_number()) return Status::UserF("{}: bbox values must be numbers", what);
        ca.bbox[k] = a["bbox"][k].get<double>();
      }
    } else {
      auto b = sam::RleBbox(ca.rle);
      for (int k = 0; k < 4; ++k) ca.bbox[k] = static_cast<double>(b[k]);
    }
    ds.annotations.push_back(std::move(ca));
  }
  return ds;
}

Result<std::vector<CocoDetection>> LoadCocoResults(const std::filesystem::path& path, const CocoDataset& dataset) {
  SAMQ_ASSIGN_OR_RETURN(nlohmann::json j, ReadJson(path));
  const std::string name = path.string();
  if (!j.is_array()) return Status::UserF("{}: COCO results must be a JSON list", name);
  std::vector<CocoDetection> out;
  for (const auto& d : j) {
    if (!d.is_object() || !IsInt(d, "image_id") || !IsInt(d, "category_id") || !d.contains("score") ||
        !d["score"].is_number() || !d.contains("segmentation"))
      return Status::UserF("{}: every result needs image_id, category_id, score and segmentation", name);
    CocoDetection det;
    det.image_id = d["image_id"].get<int64_t>();
    det.category_id = d["category_id"].get<int64_t>();
    det.score = d["score"].get<double>();
    const CocoImage* im = dataset.FindImage(det.image_id);
    if (!im) return Status::UserF("{}: result for unknown image {}", name, det.image_id);
    SAMQ_ASSIGN_OR_RETURN(det.rle, SegmentationToRle(d["segmentation"], im->height, im->width,
                                                     fmt::format("{}: result {}", name, out.size())));
    out.push_back(std::move(det));
  }
  return out;
}

}  // namespace samq::eval
