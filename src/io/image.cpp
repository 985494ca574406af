// Image entry points: format sniffing by magic bytes, size policy, EXIF orientation.
#include "io/image.h"

#include <cstring>
#include <system_error>

#include "io/atomic_file.h"
#include "io/exif_orientation.h"
#include "io/image_codecs.h"

namespace samq::io {
namespace {

bool StartsWith(const std::string& bytes, const char* magic, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
}

// Other formats are named so the message says what the file is rather than "not an image".
const char* OtherImageFormat(const std::string& b) {
  if (StartsWith(b, "GIF87a", 6) || StartsWith(b, "GIF89a", 6)) return "GIF";
  if (StartsWith(b, "BM", 2) && b.size() >= 26) return "BMP";
  if (StartsWith(b, "RIFF", 4) && b.size() >= 12 && std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    return "WebP";
  }
  if (StartsWith(b, "II*\0", 4) || StartsWith(b, "MM\0*", 4)) return "TIFF";
  if (b.size() >= 12 && std::memcmp(b.data() + 4, "ftyp", 4) == 0) return "HEIF/AVIF";
  return nullptr;
}

}  // namespace

namespace detail {

Status CheckImageSize(int64_t height, int64_t width, const std::string& name,
                      const char* format) {
  if (height <= 0 || width <= 0) {
    return Status::UserF("image '{}': {} header gives an empty size {}x{}", name, format, width,
                         height);
  }
  if (height > kMaxImageSide || width > kMaxImageSide || height * width > kMaxImagePixels) {
    return Status::UserF(
        "image '{}': {}x{} pixels is too large (limit {} pixels a side and {} megapixels); "
        "refusing to decode a possible decompression bomb",
        name, width, height, kMaxImageSide, kMaxImagePixels / 1'000'000);
  }
  return Status::Ok();
}

}  // namespace detail

Result<Image> DecodeImage(const std::string& bytes, const std::string& name_for_errors) {
  const std::string& name = name_for_errors;
  if (bytes.empty()) return Status::UserF("image '{}': the file is empty", name);
  Result<detail::DecodedImage> decoded = Status::Internal("unset");
  if (StartsWith(bytes, "\xFF\xD8\xFF", 3)) {
    decoded = detail::DecodeJpeg(bytes, name);
  } else if (StartsWith(bytes, "\x89PNG\r\n\x1A\n", 8)) {
    decoded = detail::DecodePng(bytes, name);
  } else if (const char* other = OtherImageFormat(bytes)) {
    return Status::UserF("image '{}': {} images are not supported; supported: JPEG, PNG", name,
                         other);
  } else {
    return Status::UserF("image '{}': not a JPEG or PNG image (unrecognized file header)", name);
  }
  if (!decoded.ok()) return decoded.status();
  detail::DecodedImage& d = decoded.value();
  if (d.orientation == 1) return std::move(d.image);
  return ApplyExifOrientation(d.image, d.orientation);
}

Result<Image> ReadImage(const std::filesystem::path& path) {
  std::error_code ec;  // other failures (permissions, ...) are reported by ReadFile with errno
  const auto st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found) {
    return Status::UserF("image '{}': no such file", path.string());
  }
  if (std::filesystem::is_directory(st)) {
    return Status::UserF("image '{}': is a directory, not an image file", path.string());
  }
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status().WithContext("image");
  return DecodeImage(bytes.value(), path.string());
}

}  // namespace samq::io
