// The prompts `samq compare` asks both models with, per image:
//  * grid: an N x N grid of single foreground points at the centres of N x N equal cells
//    (x = (i + 0.5) w / N, as SAM's build_point_grid), one prompt each;
//  * gt: from COCO ground truth, for every non-crowd instance with a non-empty mask, a box prompt
//    (its bbox) and a point prompt at the mask's centre: the centroid when it lies inside the
//    mask, else the mask pixel farthest from the background (exact Euclidean distance transform);
//  * a file: samexporter's prompt JSON, either one prompt (a list of point/rectangle objects) or a
//    list of such lists (prompt groups), applied to every image.
// All prompts ask for a single mask (multimask off), so the two models are compared mask for mask.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/coco_dataset.h"
#include "sam/prompts.h"

namespace samq::eval {

struct EvalPrompt {
  std::string kind;       // "grid", "file", "gt-box" or "gt-point"
  sam::Prompt prompt;
  int64_t annotation_id = -1;  // gt prompts: the instance they come from
  int64_t category_id = -1;
};

std::vector<EvalPrompt> GridPrompts(int64_t height, int64_t width, int n);
// Prompts for every usable instance of `image` (see above).
std::vector<EvalPrompt> GroundTruthPrompts(const CocoDataset& dataset, const CocoImage& image);
// Reads a samexporter prompt file: user error for bad JSON, an unknown type, wrong data.
Result<std::vector<EvalPrompt>> LoadPromptFile(const std::filesystem::path& path);

// The point a GT point prompt uses for a row-major h x w mask (non-zero inside); {-1, -1} for an
// empty mask. Exposed for tests.
std::pair<double, double> MaskCentrePoint(const std::vector<uint8_t>& mask, int64_t height, int64_t width);

}  // namespace samq::eval
