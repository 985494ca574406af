// Internal to src/io: the per-format decoders behind DecodeImage, and the size check they share.
#pragma once

#include <string>

#include "core/status.h"
#include "io/image.h"

namespace samq::io::detail {

struct DecodedImage {
  Image image;          // as stored (not yet turned upright)
  int orientation = 1;  // EXIF orientation 1..8 (1 = as stored)
};

// Both decoders check the size from the header with this before allocating pixel memory.
Status CheckImageSize(int64_t height, int64_t width, const std::string& name,
                      const char* format);

Result<DecodedImage> DecodeJpeg(const std::string& bytes, const std::string& name);
Result<DecodedImage> DecodePng(const std::string& bytes, const std::string& name);

}  // namespace samq::io::detail
