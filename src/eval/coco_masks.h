// Ground-truth masks from COCO annotations: polygon rasterization and RLE decoding.
//
// COCO's ground truth *is* what pycocotools' maskApi makes of the polygons, so the rasterizer
// follows the same discretization rule (rleFrPoly) to be pixel-exact with `COCO.annToMask`:
//  1. vertices are scaled by 5 and rounded ((int)(5 v + 0.5), truncating like C);
//  2. each closed edge is walked one step at a time along its longer axis, giving a dense chain
//     of sub-pixel boundary points;
//  3. wherever the chain changes column, the crossing is mapped back to a pixel column x (only
//     exact pixel centres count) and a row y = ceil of the lower end, which toggles the mask in
//     that column from row y on (even-odd fill in column-major order);
//  4. the sorted toggle positions become RLE counts, and a polygon list is the union of its
//     polygons.
// Crowd annotations carry RLE: uncompressed ({"counts": [ints], "size": [h, w]}) or compressed
// (a counts string, decoded by sam/rle.h).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"
#include "sam/rle.h"

namespace samq::eval {

// One polygon [x0, y0, x1, y1, ...] (pixel coordinates) as an RLE of an h x w image.
sam::Rle PolygonToRle(const std::vector<double>& xy, int64_t height, int64_t width);
// Union of RLEs of the same size (pycocotools merge, intersect = 0).
sam::Rle MergeRles(const std::vector<sam::Rle>& rles, int64_t height, int64_t width);
// An annotation's "segmentation" value (polygon list, uncompressed or compressed RLE) for an
// h x w image. User error naming `what` for a malformed value or a size that does not match.
Result<sam::Rle> SegmentationToRle(const nlohmann::json& segmentation, int64_t height, int64_t width,
                                   const std::string& what);

}  // namespace samq::eval
