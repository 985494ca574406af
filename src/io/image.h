// Images in and out: JPEG and PNG decoding to 8-bit RGB, PNG encoding.
//
// Decoding follows what the official SAM predictors see after `PIL.Image.open(f).convert("RGB")`
// (or `cv2.imread` + BGR→RGB): libjpeg with the accurate integer IDCT and fancy upsampling, so
// the pixels equal Pillow's bit for bit; grayscale is replicated to RGB, alpha is dropped (not
// composited), palettes are expanded, 16-bit samples keep their high byte. EXIF orientation is
// honoured (JPEG APP1 and PNG eXIf), as cv2.imread and ImageOps.exif_transpose do.
//
// Anything a file can cause — missing, empty, not an image, truncated, corrupt, too large — is a
// user error naming the file; the decoders never abort or exit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"

namespace samq::io {

// Refused before any pixel memory is allocated (decompression bombs): 100 megapixels, or a side
// longer than 32768 pixels. Pillow warns at 89 MP and refuses at 179 MP; SAM needs far less.
inline constexpr int64_t kMaxImagePixels = 100'000'000;
inline constexpr int64_t kMaxImageSide = 32768;

struct Image {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> rgb;  // height x width x 3, row-major (HWC), RGB, 8-bit

  const uint8_t* pixel(int64_t y, int64_t x) const { return rgb.data() + (y * width + x) * 3; }
};

// Reads a JPEG or PNG file (the format comes from the file's first bytes, not its name).
Result<Image> ReadImage(const std::filesystem::path& path);
// Decodes an in-memory JPEG or PNG; errors name `name_for_errors`. The fuzzing entry point.
Result<Image> DecodeImage(const std::string& bytes, const std::string& name_for_errors);

// PNG file of `height x width` pixels with `channels` interleaved 8-bit samples (1 gray, 3 RGB,
// 4 RGBA), written atomically (a failure leaves no partial file).
Status WritePng(const std::filesystem::path& path, const uint8_t* data, int64_t height,
                int64_t width, int channels);
// The same PNG, in memory.
Result<std::string> EncodePng(const uint8_t* data, int64_t height, int64_t width, int channels);

}  // namespace samq::io
