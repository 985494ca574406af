// Draws masks and prompts over an RGB image for `overlay.png`: each mask blended at alpha 0.5 in
// its palette colour with a solid contour just inside its edge, boxes as outlines, and points as
// filled discs (green = foreground, red = background, grey = any other label) with a white rim.
// Sizes (contour and outline thickness, disc radius) scale with the image so the drawing reads the
// same on a 300 px and a 4000 px image. Prompts are in pixels of the image (x then y), may lie
// partly or wholly outside it, and are clipped.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sam/postprocess.h"
#include "sam/prompts.h"

namespace samq::sam {

struct OverlayPrompts {
  std::vector<std::array<float, 2>> points;  // x, y
  std::vector<int> labels;                   // per point; a missing label counts as foreground
  std::vector<std::array<float, 4>> boxes;   // x0, y0, x1, y1
};

// The points, labels and boxes of a parsed prompt (sam/prompts.h).
OverlayPrompts ToOverlayPrompts(const Prompt& prompt);

struct OverlayStyle {
  float mask_alpha = 0.5f;
  bool contours = true;
  // 0 = derive from the image size (see overlay.cpp); otherwise pixels.
  int contour_px = 0;
  int line_px = 0;
  int point_radius_px = 0;
};

using Rgb = std::array<uint8_t, 3>;

// Colour of mask k: a fixed palette of clearly distinct colours, repeating after its end.
Rgb MaskColor(int64_t k);
Rgb PointColor(int label);  // 1 -> green, 0 -> red, other -> grey
Rgb BoxColor();

// `rgb` is height x width x 3 (row-major, interleaved). Masks that are not height x width are
// skipped (nothing to align them with). Returns a new image of the same size.
std::vector<uint8_t> DrawOverlay(const uint8_t* rgb, int64_t height, int64_t width,
                                 const std::vector<BinaryMask>& masks,
                                 const OverlayPrompts& prompts, const OverlayStyle& style = {});

}  // namespace samq::sam
