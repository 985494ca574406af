// PNG decoding and encoding with libpng.
//
// Decoding gives what `PIL.Image.open(f).convert("RGB")` gives for 8-bit files: palette expanded,
// gray replicated, alpha and tRNS dropped (convert("RGB") does not composite), gamma ignored;
// 16-bit samples keep their high byte (Pillow's "RGB;16B" unpacking, cv2.imread's >> 8).
//
// libpng reports errors by longjmp to png_jmpbuf. As in image_jpeg.cpp, everything the decoder
// touches lives in a state struct owned by the caller, so the setjmp frame holds no C++ objects.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "io/atomic_file.h"
#include "io/exif_orientation.h"
#include "io/image_codecs.h"

namespace samq::io {
namespace {

struct PngReadState {
  const std::string* bytes = nullptr;
  size_t pos = 0;
  char message[256] = {0};
  png_structp png = nullptr;
  png_infop info = nullptr;
  int64_t height = 0, width = 0;
  bool rows_done = false;
  bool truncated = false;
  int orientation = 1;
  std::vector<uint8_t> rgb;
  std::vector<png_bytep> rows;
};

enum class PngOutcome { kOk, kLibpngError, kTooLarge };

void OnPngError(png_structp png, png_const_charp message) {
  auto* s = static_cast<PngReadState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof(s->message), "%s", message);
  png_longjmp(png, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}  // benign (bad ancillary chunk): ignored

void ReadFromMemory(png_structp png, png_bytep out, png_size_t length) {
  auto* s = static_cast<PngReadState*>(png_get_io_ptr(png));
  if (s->bytes->size() - s->pos < length) {
    s->truncated = true;
    png_error(png, "unexpected end of data");
  }
  std::memcpy(out, s->bytes->data() + s->pos, length);
  s->pos += length;
}

void ReadExifOrientation(PngReadState* s, png_infop info) {
#ifdef PNG_eXIf_SUPPORTED
  png_uint_32 size = 0;
  png_bytep exif = nullptr;
  if (info && png_get_eXIf_1(s->png, info, &size, &exif) != 0 && exif) {
    s->orientation = ExifOrientation(exif, size);
  }
#endif
}

PngOutcome RunLibpng(PngReadState* s) {
  if (setjmp(png_jmpbuf(s->png))) return PngOutcome::kLibpngError;
  png_set_read_fn(s->png, s, ReadFromMemory);
  // libpng's own limits would fire first with a terser message; CheckImageSize owns the policy.
  png_set_user_limits(s->png, 0x7fffffff, 0x7fffffff);
  png_set_chunk_malloc_max(s->png, 16u << 20);  // ancillary chunks (text, ICC, eXIf) ≤ 16 MiB
  png_read_info(s->png, s->info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(s->png, s->info, &width, &height, &bit_depth, &color_type, nullptr, nullptr,
               nullptr);
  s->height = height;
  s->width = width;
  if (s->height <= 0 || s->width <= 0 || s->height > kMaxImageSide || s->width > kMaxImageSide ||
      s->height * s->width > kMaxImagePixels) {
    return PngOutcome::kTooLarge;
  }
  ReadExifOrientation(s, s->info);

  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(s->png);
  if (bit_depth == 16) png_set_strip_16(s->png);
  // Palette expansion turns a tRNS chunk into an alpha channel: strip that one too.
  if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(s->png, s->info, PNG_INFO_tRNS)) {
    png_set_strip_alpha(s->png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(s->png);
  }
  png_set_interlace_handling(s->png);
  png_read_update_info(s->png, s->info);
  if (png_get_rowbytes(s->png, s->info) != static_cast<size_t>(s->width) * 3) {
    std::snprintf(s->message, sizeof(s->message), "unexpected row layout after conversion");
    return PngOutcome::kLibpngError;
  }
  s->rgb.resize(static_cast<size_t>(s->height * s->width * 3));
  s->rows.resize(static_cast<size_t>(s->height));
  for (int64_t y = 0; y < s->height; ++y) s->rows[y] = s->rgb.data() + y * s->width * 3;
  png_read_image(s->png, s->rows.data());
  s->rows_done = true;
  // The trailing chunks may hold the eXIf chunk; a damaged tail after complete pixel data is
  // tolerated (rows_done), as Pillow stops reading trailing chunks at the first broken one.
  png_read_end(s->png, s->info);
  ReadExifOrientation(s, s->info);
  return PngOutcome::kOk;
}

struct PngWriteState {
  std::string out;
  char message[256] = {0};
};

void OnPngWriteError(png_structp png, png_const_charp message) {
  auto* s = static_cast<PngWriteState*>(png_get_error_ptr(png));
  std::snprintf(s->message, sizeof(s->message), "%s", message);
  png_longjmp(png, 1);
}

void WriteToMemory(png_structp png, png_bytep data, png_size_t length) {
  auto* s = static_cast<PngWriteState*>(png_get_io_ptr(png));
  try {
    s->out.append(reinterpret_cast<const char*>(data), length);
  } catch (...) {  // no C++ exception may cross libpng's C frames
    png_error(png, "out of memory");
  }
}

void FlushMemory(png_structp) {}

bool RunPngWriter(png_structp png, png_infop info, PngWriteState* s, const uint8_t* data,
                  int64_t height, int64_t width, int channels) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, s, WriteToMemory, FlushMemory);
  const int color_type = channels == 1   ? PNG_COLOR_TYPE_GRAY
                         : channels == 3 ? PNG_COLOR_TYPE_RGB
                                         : PNG_COLOR_TYPE_RGB_ALPHA;
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const size_t stride = static_cast<size_t>(width) * channels;
  for (int64_t y = 0; y < height; ++y) {
    png_write_row(png, const_cast<png_bytep>(data + y * stride));
  }
  png_write_end(png, info);
  return true;
}

}  // namespace

namespace detail {

Result<DecodedImage> DecodePng(const std::string& bytes, const std::string& name) {
  PngReadState state;
  state.bytes = &bytes;
  state.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, OnPngError, OnPngWarning);
  if (!state.png) return Status::InternalF("image '{}': cannot initialize libpng", name);
  state.info = png_create_info_struct(state.png);
  if (!state.info) {
    png_destroy_read_struct(&state.png, nullptr, nullptr);
    return Status::InternalF("image '{}': cannot initialize libpng", name);
  }
  const PngOutcome outcome = RunLibpng(&state);
  png_destroy_read_struct(&state.png, &state.info, nullptr);

  if (outcome == PngOutcome::kTooLarge) {
    SAMQ_RETURN_IF_ERROR(CheckImageSize(state.height, state.width, name, "PNG"));
    return Status::InternalF("image '{}': size check disagrees", name);
  }
  if (outcome == PngOutcome::kLibpngError && !state.rows_done) {
    if (state.truncated) {
      return Status::UserF("image '{}': truncated PNG ({})", name, state.message);
    }
    return Status::UserF("image '{}': corrupt or unsupported PNG ({})", name, state.message);
  }
  DecodedImage out;
  out.image.height = state.height;
  out.image.width = state.width;
  out.image.rgb = std::move(state.rgb);
  out.orientation = state.orientation;
  return out;
}

}  // namespace detail

Result<std::string> EncodePng(const uint8_t* data, int64_t height, int64_t width, int channels) {
  if (channels != 1 && channels != 3 && channels != 4) {
    return Status::InternalF("EncodePng: {} channels; supported: 1, 3, 4", channels);
  }
  if (!data || height <= 0 || width <= 0 || height > 0x7fffffff || width > 0x7fffffff) {
    return Status::InternalF("EncodePng: invalid image {}x{}", height, width);
  }
  PngWriteState state;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, OnPngWriteError, OnPngWarning);
  if (!png) return Status::Internal("EncodePng: cannot initialize libpng");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return Status::Internal("EncodePng: cannot initialize libpng");
  }
  const bool ok = RunPngWriter(png, info, &state, data, height, width, channels);
  png_destroy_write_struct(&png, &info);
  if (!ok) return Status::InternalF("EncodePng: libpng failed: {}", state.message);
  return std::move(state.out);
}

Status WritePng(const std::filesystem::path& path, const uint8_t* data, int64_t height,
                int64_t width, int channels) {
  SAMQ_ASSIGN_OR_RETURN(std::string bytes, EncodePng(data, height, width, channels));
  return WriteFileAtomic(path, bytes);
}

}  // namespace samq::io
