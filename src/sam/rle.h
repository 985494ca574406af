// COCO run-length encoding of binary masks, bit-compatible with pycocotools (maskApi.c), so that
// result.json masks load with `pycocotools.mask.decode` and score with COCO tools unchanged.
//
//  * counts: run lengths over the mask flattened in column-major (Fortran) order, alternating
//    0-runs and 1-runs and always starting with a 0-run (which may be empty).
//  * string form (rleToString): each count, from the fourth on minus the count two before it
//    (pycocotools' `i > 2`, not `i >= 2`), is written as signed 5-bit groups, least significant
//    first, 0x20 = "more groups follow", 0x10 of the last group = sign, each group + 48 as ASCII.
//  * area = sum of the 1-runs; bbox = [x, y, w, h] as rleToBbox computes it (all zeros for an
//    empty mask).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace samq::sam {

struct Rle {
  int64_t height = 0, width = 0;
  std::vector<uint32_t> counts;
};

// Encodes an h x w row-major mask (any non-zero byte is inside). Column strips run in parallel.
Rle EncodeRle(const uint8_t* mask, int64_t height, int64_t width);

// pycocotools rleToString.
std::string RleCountsToString(const std::vector<uint32_t>& counts);
inline std::string RleToString(const Rle& rle) { return RleCountsToString(rle.counts); }

// pycocotools rleFrString, validated: user error for characters outside the alphabet, a group
// sequence that overflows, or a count that decodes negative.
Result<std::vector<uint32_t>> RleCountsFromString(std::string_view s);
// A full RLE from its string form; also checks that the counts cover exactly height*width pixels.
Result<Rle> RleFromString(std::string_view counts, int64_t height, int64_t width);
// Checks counts against the size (sum == height * width).
Status ValidateRle(const Rle& rle);

// Row-major height x width mask, `on` inside and 0 outside. The Rle must be valid.
std::vector<uint8_t> DecodeRle(const Rle& rle, uint8_t on = 255);

int64_t RleArea(const Rle& rle);                 // pycocotools area
std::array<int64_t, 4> RleBbox(const Rle& rle);  // pycocotools toBbox: [x, y, w, h]

}  // namespace samq::sam
