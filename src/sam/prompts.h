// Prompts in original-image pixels: points with labels, boxes, and an optional low-res mask.
// Parsing and validation happen here so that every front end (CLI flags, samexporter JSON,
// the C++ API) reports bad prompts the same way.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace samq::sam {

struct Point {
  float x = 0, y = 0;
  int label = 1;  // 1 = foreground, 0 = background
};

struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct Prompt {
  std::vector<Point> points;
  std::vector<Box> boxes;           // several boxes: one decoder call (one mask) per box
  std::optional<Tensor> mask_input;  // 1x1x256x256 low-res logits of an earlier call
  bool multimask = false;
  bool empty() const { return points.empty() && boxes.empty() && !mask_input; }
};

// "X,Y" or "X,Y,LABEL" (LABEL 0 or 1).
Result<Point> ParsePoint(const std::string& text);
// "X0,Y0,X1,Y1".
Result<Box> ParseBox(const std::string& text);
// samexporter's prompt JSON: a list of {"type": "point", "data": [x, y], "label": 1} and
// {"type": "rectangle", "data": [x0, y0, x1, y1]} objects.
Status ParsePromptJson(const std::string& json_text, const std::string& name_for_errors, Prompt& out);
// Points and boxes must lie inside the image (0..w, 0..h), boxes must have
// x0 <= x1 and y0 <= y1, labels must be 0 or 1, and there must be a prompt at all.
Status ValidatePrompt(const Prompt& p, int64_t image_h, int64_t image_w);

}  // namespace samq::sam
