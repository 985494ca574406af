// libFuzzer target: JPEG / PNG decoding from arbitrary bytes (io::DecodeImage). Any failure must be
// a user error (never an abort, exit, crash or sanitizer report); an image that decodes must have a
// consistent size within the decompression-bomb limits and must survive a PNG round trip.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto img = samq::io::DecodeImage(bytes, "fuzz.img");
  if (!img.ok()) {
    if (img.status().kind() != samq::ErrorKind::kUser) std::abort();
    return 0;
  }
  if (img->height <= 0 || img->width <= 0 || img->height > samq::io::kMaxImageSide ||
      img->width > samq::io::kMaxImageSide ||
      img->height * img->width > samq::io::kMaxImagePixels ||
      img->rgb.size() != static_cast<size_t>(img->height * img->width * 3)) {
    std::fprintf(stderr, "fuzz_image: inconsistent image %lldx%lld with %zu bytes\n",
                 static_cast<long long>(img->height), static_cast<long long>(img->width),
                 img->rgb.size());
    std::abort();
  }
  auto png = samq::io::EncodePng(img->rgb.data(), img->height, img->width, 3);
  if (!png.ok()) std::abort();
  auto back = samq::io::DecodeImage(png.value(), "round-trip.png");
  if (!back.ok() || back->rgb != img->rgb) {
    std::fprintf(stderr, "fuzz_image: PNG round trip changed the pixels\n");
    std::abort();
  }
  return 0;
}
