#include "io/exif_orientation.h"

#include <cstring>
#include <utility>

namespace samq::io {
namespace {

constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kTypeShort = 3;

// A bounds-checked reader of the TIFF block's integers in its declared byte order.
class TiffReader {
 public:
  TiffReader(const uint8_t* data, size_t size, bool big_endian)
      : data_(data), size_(size), big_endian_(big_endian) {}

  bool U16(size_t offset, uint16_t* out) const {
    if (offset > size_ || size_ - offset < 2) return false;
    const uint8_t* p = data_ + offset;
    *out = big_endian_ ? static_cast<uint16_t>(p[0] << 8 | p[1])
                       : static_cast<uint16_t>(p[1] << 8 | p[0]);
    return true;
  }
  bool U32(size_t offset, uint32_t* out) const {
    if (offset > size_ || size_ - offset < 4) return false;
    const uint8_t* p = data_ + offset;
    *out = big_endian_ ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                       : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  bool big_endian_;
};

}  // namespace

int ExifOrientation(const uint8_t* data, size_t size) {
  if (!data) return 1;
  static const uint8_t kExifSignature[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (size >= 6 && std::memcmp(data, kExifSignature, 6) == 0) {
    data += 6;
    size -= 6;
  }
  if (size < 8) return 1;
  bool big_endian;
  if (data[0] == 'I' && data[1] == 'I' && data[2] == 42 && data[3] == 0) {
    big_endian = false;
  } else if (data[0] == 'M' && data[1] == 'M' && data[2] == 0 && data[3] == 42) {
    big_endian = true;
  } else {
    return 1;
  }
  const TiffReader tiff(data, size, big_endian);
  uint32_t ifd0 = 0;
  uint16_t count = 0;
  if (!tiff.U32(4, &ifd0) || !tiff.U16(ifd0, &count)) return 1;
  // Orientation lives in IFD0 (the main image's directory); each entry is 12 bytes:
  // tag u16, type u16, count u32, value-or-offset (a single SHORT sits in its first 2 bytes).
  for (uint32_t i = 0; i < count; ++i) {
    const size_t entry = size_t{ifd0} + 2 + size_t{i} * 12;
    uint16_t tag = 0, type = 0, value = 0;
    uint32_t n = 0;
    if (!tiff.U16(entry, &tag) || !tiff.U16(entry + 2, &type) || !tiff.U32(entry + 4, &n) ||
        !tiff.U16(entry + 8, &value)) {
      return 1;
    }
    if (tag != kOrientationTag) continue;
    if (type != kTypeShort || n < 1 || value < 1 || value > 8) return 1;
    return value;
  }
  return 1;
}

Image ApplyExifOrientation(const Image& image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int64_t h = image.height, w = image.width;
  const bool swaps = orientation >= 5;
  Image out;
  out.height = swaps ? w : h;
  out.width = swaps ? h : w;
  out.rgb.resize(image.rgb.size());
  for (int64_t r = 0; r < out.height; ++r) {
    for (int64_t c = 0; c < out.width; ++c) {
      // (sr, sc): the stored pixel shown at row r, column c of the upright picture.
      int64_t sr = r, sc = c;
      switch (orientation) {
        case 2: sc = w - 1 - c; break;
        case 3: sr = h - 1 - r; sc = w - 1 - c; break;
        case 4: sr = h - 1 - r; break;
        case 5: sr = c; sc = r; break;
        case 6: sr = h - 1 - c; sc = r; break;
        case 7: sr = h - 1 - c; sc = w - 1 - r; break;
        case 8: sr = c; sc = w - 1 - r; break;
      }
      const uint8_t* src = image.pixel(sr, sc);
      uint8_t* dst = out.rgb.data() + (r * out.width + c) * 3;
      dst[0] = src[0];
      dst[1] = src[1];
      dst[2] = src[2];
    }
  }
  return out;
}

}  // namespace samq::io
