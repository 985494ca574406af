// EXIF orientation: reading tag 0x0112 from an EXIF block and applying it to pixels.
//
// Cameras store pixels as the sensor saw them and record how to turn them for display; cv2.imread
// and PIL's ImageOps.exif_transpose apply it, so a prompt clicked on the upright picture lands on
// the right pixel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "io/image.h"

namespace samq::io {

// The orientation (1..8) from an EXIF block: TIFF-structured data starting with "II*\0" or
// "MM\0*", optionally preceded by the JPEG APP1 signature "Exif\0\0". Returns 1 (as stored) when
// the block is malformed, lacks the tag or holds a value outside 1..8. Every read is
// bounds-checked: the block comes straight from the file.
int ExifOrientation(const uint8_t* data, size_t size);

// The image turned upright for `orientation` (1..8, as ImageOps.exif_transpose: 2 mirror, 3 rotate
// 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise).
// Orientations 5..8 swap height and width.
Image ApplyExifOrientation(const Image& image, int orientation);

}  // namespace samq::io
