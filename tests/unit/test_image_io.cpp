// Image decoding, EXIF orientation, PNG writing and bad-input handling (src/io/image*.cpp).
//
// Inputs are made here with libjpeg / libpng from known pixels, so every expected value follows
// from the test's own source arrays; Pillow parity is in test_image_pillow.cpp.
#include <gtest/gtest.h>
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "io/atomic_file.h"
#include "io/exif_orientation.h"
#include "io/image.h"
#include "support/fixtures.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
using io::Image;

// ---- builders -----------------------------------------------------------------------------------

Image MakeImage(int64_t h, int64_t w, uint32_t seed) {
  Image img;
  img.height = h;
  img.width = w;
  img.rgb.resize(static_cast<size_t>(h * w * 3));
  std::mt19937 rng(seed);
  for (auto& v : img.rgb) v = static_cast<uint8_t>(rng() & 0xFF);
  return img;
}

// Four flat quadrants (JPEG keeps flat 8x8-aligned blocks nearly exact): TL red, TR green,
// BL blue, BR white.
constexpr uint8_t kQuadrant[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
enum { kA = 0, kB = 1, kC = 2, kD = 3 };  // TL, TR, BL, BR of the stored picture

Image QuadrantImage(int64_t h, int64_t w) {
  Image img;
  img.height = h;
  img.width = w;
  img.rgb.resize(static_cast<size_t>(h * w * 3));
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const int q = (y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1);
      std::memcpy(&img.rgb[(y * w + x) * 3], kQuadrant[q], 3);
    }
  }
  return img;
}

// An APP1 Exif payload with IFD0 = {Make "abc", Orientation}. Little or big endian TIFF.
std::string ExifBlock(int orientation, bool big_endian) {
  std::string s = std::string("Exif\0\0", 6);
  auto u16 = [&](uint16_t v) {
    if (big_endian) {
      s.push_back(static_cast<char>(v >> 8));
      s.push_back(static_cast<char>(v & 0xFF));
    } else {
      s.push_back(static_cast<char>(v & 0xFF));
      s.push_back(static_cast<char>(v >> 8));
    }
  };
  auto u32 = [&](uint32_t v) {
    if (big_endian) {
      u16(static_cast<uint16_t>(v >> 16));
      u16(static_cast<uint16_t>(v & 0xFFFF));
    } else {
      u16(static_cast<uint16_t>(v & 0xFFFF));
      u16(static_cast<uint16_t>(v >> 16));
    }
  };
  s += big_endian ? std::string("MM\0*", 4) : std::string("II*\0", 4);
  u32(8);   // IFD0 right after the header
  u16(2);   // two entries
  u16(0x010F); u16(2); u32(4); s += std::string("abc\0", 4);     // Make, ASCII, inline
  u16(0x0112); u16(3); u32(1); u16(static_cast<uint16_t>(orientation)); u16(0);  // SHORT
  u32(0);   // no next IFD
  return s;
}

std::string EncodeJpeg(const Image& img, int quality, const std::string& app1 = {}) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = static_cast<JDIMENSION>(img.width);
  cinfo.image_height = static_cast<JDIMENSION>(img.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  if (!app1.empty()) {
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(app1.data()),
                      static_cast<unsigned>(app1.size()));
  }
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(img.rgb.data() + cinfo.next_scanline * img.width * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<char*>(buf), size);
  std::free(buf);
  jpeg_destroy_compress(&cinfo);
  return out;
}

// A PNG with exactly these raw rows (packed as the PNG format stores them: 16-bit big endian,
// sub-byte samples packed MSB first).
struct RawPng {
  int width = 0, height = 0, color_type = 0, bit_depth = 8;
  bool interlace = false;
  std::vector<png_color> palette;
  std::vector<uint8_t> trns;
  std::vector<uint8_t> rows;  // height x rowbytes
  std::string exif;           // eXIf payload (TIFF), empty = none
};

RawPng Raw(int width, int height, int color_type, int bit_depth) {
  RawPng p;
  p.width = width;
  p.height = height;
  p.color_type = color_type;
  p.bit_depth = bit_depth;
  return p;
}

void AppendToString(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), n);
}

std::string EncodeRawPng(const RawPng& spec) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng failed to write the test PNG";
    return {};
  }
  png_set_write_fn(png, &out, AppendToString, nullptr);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) {
    png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  }
  if (!spec.trns.empty()) {
    png_set_tRNS(png, info, spec.trns.data(), static_cast<int>(spec.trns.size()), nullptr);
  }
  if (!spec.exif.empty()) {
    png_set_eXIf_1(png, info, static_cast<png_uint_32>(spec.exif.size()),
                   reinterpret_cast<png_bytep>(const_cast<char*>(spec.exif.data())));
  }
  png_write_info(png, info);
  const size_t rowbytes = spec.rows.size() / spec.height;
  std::vector<png_bytep> rows(spec.height);
  for (int y = 0; y < spec.height; ++y) {
    rows[y] = const_cast<png_bytep>(spec.rows.data() + y * rowbytes);
  }
  png_write_image(png, rows.data());
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

// PNG chunk with a correct CRC, for hand-made headers.
std::string PngChunk(const char type[4], const std::string& data) {
  std::string c;
  const uint32_t len = static_cast<uint32_t>(data.size());
  for (int s = 24; s >= 0; s -= 8) c.push_back(static_cast<char>((len >> s) & 0xFF));
  c.append(type, 4);
  c += data;
  uLong crc = crc32(0, reinterpret_cast<const Bytef*>(type), 4);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  for (int s = 24; s >= 0; s -= 8) c.push_back(static_cast<char>((crc >> s) & 0xFF));
  return c;
}

std::string BigEndian32(uint32_t v) {
  std::string s;
  for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xFF));
  return s;
}

// Signature + IHDR claiming width x height RGB8 + a small IDAT + IEND.
std::string PngHeaderOnly(uint32_t width, uint32_t height) {
  std::string ihdr = BigEndian32(width) + BigEndian32(height) + std::string("\x08\x02\0\0\0", 5);
  return std::string("\x89PNG\r\n\x1A\n", 8) + PngChunk("IHDR", ihdr) +
         PngChunk("IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8)) +
         PngChunk("IEND", "");
}

// Rewrites the height/width of the first SOF0 (baseline) frame header.
std::string PatchJpegSize(std::string jpeg, uint16_t height, uint16_t width) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (static_cast<uint8_t>(jpeg[i]) == 0xFF && static_cast<uint8_t>(jpeg[i + 1]) == 0xC0) {
      jpeg[i + 5] = static_cast<char>(height >> 8);
      jpeg[i + 6] = static_cast<char>(height & 0xFF);
      jpeg[i + 7] = static_cast<char>(width >> 8);
      jpeg[i + 8] = static_cast<char>(width & 0xFF);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF0 marker";
  return jpeg;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("samq_image_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path_ / name, std::ios::binary) << bytes;
    return path_ / name;
  }

 private:
  fs::path path_;
};

void ExpectUserError(const Result<Image>& r, const std::string& name, const std::string& words) {
  ASSERT_FALSE(r.ok()) << "expected an error for " << name;
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser) << r.status().message();
  EXPECT_NE(r.status().message().find(name), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
}

// ---- decoding -----------------------------------------------------------------------------------

TEST(ImageDecode, FixtureJpegs) {
  SAMQ_REQUIRE_FIXTURES();
  struct Case { const char* name; int64_t h, w; } cases[] = {
      {"truck.jpg", 1200, 1800}, {"dog.jpg", 534, 800}, {"groceries.jpg", 534, 800}};
  for (const auto& c : cases) {
    auto img = io::ReadImage(testing::FixturesDir() / "images" / c.name);
    ASSERT_TRUE(img.ok()) << img.status().message();
    EXPECT_EQ(img->height, c.h) << c.name;
    EXPECT_EQ(img->width, c.w) << c.name;
    EXPECT_EQ(img->rgb.size(), static_cast<size_t>(c.h * c.w * 3));
  }
}

TEST(ImageDecode, JpegFormatComesFromBytesNotName) {
  TempDir dir;
  const Image src = QuadrantImage(16, 16);
  auto img = io::ReadImage(dir.Write("picture.png", EncodeJpeg(src, 95)));
  ASSERT_TRUE(img.ok()) << img.status().message();
  EXPECT_EQ(img->height, 16);
}

TEST(ImageDecode, PngVariants) {
  const int w = 5, h = 3;
  const Image src = MakeImage(h, w, 7);
  struct Variant {
    std::string name;
    RawPng png;
    std::vector<uint8_t> expected;  // h x w x 3
  };
  std::vector<Variant> variants;
  auto gray_expected = [&](auto value_of) {
    std::vector<uint8_t> e;
    for (int i = 0; i < h * w; ++i) {
      const uint8_t g = value_of(i);
      e.insert(e.end(), {g, g, g});
    }
    return e;
  };
  {  // RGB 8-bit, and Adam7-interlaced
    RawPng p = Raw(w, h, PNG_COLOR_TYPE_RGB, 8);
    p.rows = src.rgb;
    variants.push_back({"rgb8", p, src.rgb});
    p.interlace = true;
    variants.push_back({"rgb8_interlaced", p, src.rgb});
  }
  {  // RGBA: alpha dropped, never composited
    RawPng p = Raw(w, h, PNG_COLOR_TYPE_RGB_ALPHA, 8);
    for (int i = 0; i < h * w; ++i) {
      p.rows.insert(p.rows.end(), {src.rgb[i * 3], src.rgb[i * 3 + 1], src.rgb[i * 3 + 2],
                                   static_cast<uint8_t>(i * 17)});
    }
    variants.push_back({"rgba8", p, src.rgb});
  }
  {  // gray and gray+alpha: replicated
    RawPng g = Raw(w, h, PNG_COLOR_TYPE_GRAY, 8);
    RawPng ga = Raw(w, h, PNG_COLOR_TYPE_GRAY_ALPHA, 8);
    for (int i = 0; i < h * w; ++i) {
      g.rows.push_back(src.rgb[i * 3]);
      ga.rows.insert(ga.rows.end(), {src.rgb[i * 3], static_cast<uint8_t>(255 - i)});
    }
    auto e = gray_expected([&](int i) { return src.rgb[i * 3]; });
    variants.push_back({"gray8", g, e});
    variants.push_back({"gray_alpha8", ga, e});
  }
  {  // 16-bit: the high byte survives
    RawPng rgb16 = Raw(w, h, PNG_COLOR_TYPE_RGB, 16);
    RawPng g16 = Raw(w, h, PNG_COLOR_TYPE_GRAY, 16);
    for (int i = 0; i < h * w * 3; ++i) rgb16.rows.insert(rgb16.rows.end(), {src.rgb[i], 0xAB});
    for (int i = 0; i < h * w; ++i) g16.rows.insert(g16.rows.end(), {src.rgb[i * 3 + 1], 0xFF});
    variants.push_back({"rgb16", rgb16, src.rgb});
    variants.push_back({"gray16", g16, gray_expected([&](int i) { return src.rgb[i * 3 + 1]; })});
  }
  {  // 1-bit and 4-bit gray: scaled to 0..255 (x255, x17), as Pillow's "1" and "L;4"
    RawPng g1 = Raw(w, h, PNG_COLOR_TYPE_GRAY, 1);
    RawPng g4 = Raw(w, h, PNG_COLOR_TYPE_GRAY, 4);
    auto bit = [&](int i) { return (src.rgb[i * 3] >> 7) & 1; };
    auto nib = [&](int i) { return src.rgb[i * 3] >> 4; };
    for (int y = 0; y < h; ++y) {
      uint8_t b1 = 0, b4[3] = {0, 0, 0};
      for (int x = 0; x < w; ++x) {
        b1 |= static_cast<uint8_t>(bit(y * w + x) << (7 - x));
        b4[x / 2] |= static_cast<uint8_t>(nib(y * w + x) << (x % 2 ? 0 : 4));
      }
      g1.rows.push_back(b1);
      g4.rows.insert(g4.rows.end(), b4, b4 + 3);
    }
    variants.push_back(
        {"gray1", g1, gray_expected([&](int i) { return static_cast<uint8_t>(bit(i) * 255); })});
    variants.push_back(
        {"gray4", g4, gray_expected([&](int i) { return static_cast<uint8_t>(nib(i) * 17); })});
  }
  {  // palette with transparency: colours expanded, tRNS ignored as in convert("RGB")
    RawPng p = Raw(w, h, PNG_COLOR_TYPE_PALETTE, 8);
    for (int k = 0; k < 4; ++k) {
      p.palette.push_back({static_cast<png_byte>(k * 60), static_cast<png_byte>(255 - k * 50),
                           static_cast<png_byte>(k * 7)});
    }
    p.trns = {0, 128};
    std::vector<uint8_t> e;
    for (int i = 0; i < h * w; ++i) {
      const int k = src.rgb[i * 3] % 4;
      p.rows.push_back(static_cast<uint8_t>(k));
      e.insert(e.end(), {p.palette[k].red, p.palette[k].green, p.palette[k].blue});
    }
    variants.push_back({"palette8_trns", p, e});
  }
  for (const auto& v : variants) {
    auto img = io::DecodeImage(EncodeRawPng(v.png), v.name);
    ASSERT_TRUE(img.ok()) << v.name << ": " << img.status().message();
    EXPECT_EQ(img->height, h) << v.name;
    EXPECT_EQ(img->width, w) << v.name;
    EXPECT_EQ(img->rgb, v.expected) << v.name;
  }
}

// Where each stored quadrant (A TL, B TR, C BL, D BR) must appear — TL, TR, BL, BR of the
// upright picture — for EXIF orientations 1..8 (EXIF 2.3 §4.6.4 "Orientation"; the same as
// PIL.ImageOps.exif_transpose, which test_image_pillow.cpp checks on Pillow-written files).
constexpr int kUpright[9][4] = {
    {},                  // unused
    {kA, kB, kC, kD},    // 1 as stored
    {kB, kA, kD, kC},    // 2 mirrored left-right
    {kD, kC, kB, kA},    // 3 rotated 180
    {kC, kD, kA, kB},    // 4 mirrored top-bottom
    {kA, kC, kB, kD},    // 5 transposed
    {kC, kA, kD, kB},    // 6 needs 90° clockwise
    {kD, kB, kC, kA},    // 7 transversed
    {kB, kD, kA, kC},    // 8 needs 90° counter-clockwise
};

void ExpectQuadrants(const Image& img, int orientation, const std::string& what) {
  const int64_t ys[2] = {img.height / 4, img.height * 3 / 4};
  const int64_t xs[2] = {img.width / 4, img.width * 3 / 4};
  for (int corner = 0; corner < 4; ++corner) {
    const uint8_t* p = img.pixel(ys[corner / 2], xs[corner % 2]);
    const uint8_t* want = kQuadrant[kUpright[orientation][corner]];
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(p[c], want[c], 12) << what << " orientation " << orientation << " corner "
                                     << corner << " channel " << c;
    }
  }
}

TEST(ImageDecode, JpegExifOrientation) {
  const Image src = QuadrantImage(32, 48);  // stored 32 rows x 48 columns
  for (bool big_endian : {false, true}) {
    for (int o = 1; o <= 8; ++o) {
      auto img = io::DecodeImage(EncodeJpeg(src, 95, ExifBlock(o, big_endian)), "exif.jpg");
      ASSERT_TRUE(img.ok()) << img.status().message();
      EXPECT_EQ(img->height, o >= 5 ? 48 : 32) << o;
      EXPECT_EQ(img->width, o >= 5 ? 32 : 48) << o;
      ExpectQuadrants(*img, o, big_endian ? "big endian" : "little endian");
    }
  }
}

TEST(ImageDecode, PngExifOrientation) {
  const Image src = QuadrantImage(4, 6);
  RawPng p = Raw(6, 4, PNG_COLOR_TYPE_RGB, 8);
  p.rows = src.rgb;
  p.exif = ExifBlock(6, true).substr(6);  // eXIf holds the TIFF block without "Exif\0\0"
  auto img = io::DecodeImage(EncodeRawPng(p), "exif.png");
  ASSERT_TRUE(img.ok()) << img.status().message();
  EXPECT_EQ(img->height, 6);
  EXPECT_EQ(img->width, 4);
  ExpectQuadrants(*img, 6, "png");
}

TEST(ExifOrientation, MalformedBlocksReadAsUpright) {
  const std::string good = ExifBlock(6, false);
  auto orient = [](const std::string& s) {
    return io::ExifOrientation(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  EXPECT_EQ(orient(good), 6);
  EXPECT_EQ(orient(ExifBlock(3, true)), 3);
  EXPECT_EQ(orient(good.substr(6)), 6);  // without the APP1 signature
  EXPECT_EQ(orient(ExifBlock(9, false)), 1);  // out of range
  EXPECT_EQ(orient(ExifBlock(0, false)), 1);
  EXPECT_EQ(io::ExifOrientation(nullptr, 0), 1);
  // Every truncation of a valid block: no read past the end, never a wrong value.
  for (size_t n = 0; n < good.size(); ++n) {
    const int o = orient(good.substr(0, n));
    EXPECT_TRUE(o == 1 || o == 6) << n;
  }
  std::string bad_offset = good;
  bad_offset[6 + 4] = '\xF0';  // IFD0 offset far past the end
  EXPECT_EQ(orient(bad_offset), 1);
  std::string huge_count = good;
  huge_count[6 + 8] = '\xFF';  // entry count 0xFFFF: the scan runs past the end of the block
  huge_count[6 + 9] = '\xFF';
  EXPECT_EQ(orient(huge_count), 6);  // the orientation entry itself is still in bounds
  huge_count[6 + 8 + 2 + 12] = 0x13;  // ... and now it is another tag: scan to the end, no tag
  EXPECT_EQ(orient(huge_count), 1);
  std::string wrong_type = good;
  wrong_type[6 + 8 + 2 + 12 + 2] = 4;  // orientation as LONG: not the EXIF type
  EXPECT_EQ(orient(wrong_type), 1);
}

TEST(ExifOrientation, ApplyMapsEveryPixel) {
  const Image src = MakeImage(3, 5, 11);
  for (int o = 1; o <= 8; ++o) {
    const Image out = io::ApplyExifOrientation(src, o);
    // Undo with the inverse orientation (6 and 8 are each other's inverse; the rest self-inverse).
    const int inverse = o == 6 ? 8 : (o == 8 ? 6 : o);
    const Image back = io::ApplyExifOrientation(out, inverse);
    EXPECT_EQ(back.height, 3);
    EXPECT_EQ(back.rgb, src.rgb) << o;
  }
}

// ---- writing ------------------------------------------------------------------------------------

// Reads a PNG back as RGBA with libpng's simplified API (no gamma work for 8-bit sRGB data).
std::vector<uint8_t> ReadBackRgba(const std::string& bytes, int* h, int* w) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) return {};
  image.format = PNG_FORMAT_RGBA;
  std::vector<uint8_t> out(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.data(), 0, nullptr)) return {};
  *h = static_cast<int>(image.height);
  *w = static_cast<int>(image.width);
  return out;
}

TEST(ImageWrite, PngRoundTripAllChannelCounts) {
  TempDir dir;
  const int h = 7, w = 9;
  std::mt19937 rng(3);
  for (int channels : {1, 3, 4}) {
    std::vector<uint8_t> data(h * w * channels);
    for (auto& v : data) v = static_cast<uint8_t>(rng() & 0xFF);
    const fs::path path = dir.path() / ("c" + std::to_string(channels) + ".png");
    ASSERT_TRUE(io::WritePng(path, data.data(), h, w, channels).ok());
    auto bytes = io::ReadFile(path);
    ASSERT_TRUE(bytes.ok());
    int rh = 0, rw = 0;
    const std::vector<uint8_t> rgba = ReadBackRgba(bytes.value(), &rh, &rw);
    ASSERT_EQ(rgba.size(), static_cast<size_t>(h * w * 4)) << channels;
    EXPECT_EQ(rh, h);
    EXPECT_EQ(rw, w);
    for (int i = 0; i < h * w; ++i) {
      for (int c = 0; c < 4; ++c) {
        const uint8_t want = channels == 1   ? (c < 3 ? data[i] : 255)
                             : channels == 3 ? (c < 3 ? data[i * 3 + c] : 255)
                                             : data[i * 4 + c];
        ASSERT_EQ(rgba[i * 4 + c], want) << "channels " << channels << " pixel " << i;
      }
    }
    // And through samq's own decoder.
    auto img = io::ReadImage(path);
    ASSERT_TRUE(img.ok()) << img.status().message();
    EXPECT_EQ(img->pixel(0, 0)[0], channels == 1 ? data[0] : data[0]);
  }
}

TEST(ImageWrite, BadArgumentsAndUnwritablePath) {
  const uint8_t px[4] = {1, 2, 3, 4};
  EXPECT_EQ(io::EncodePng(px, 1, 1, 2).status().kind(), ErrorKind::kInternal);
  EXPECT_EQ(io::EncodePng(px, 0, 1, 3).status().kind(), ErrorKind::kInternal);
  EXPECT_EQ(io::EncodePng(nullptr, 1, 1, 3).status().kind(), ErrorKind::kInternal);
  TempDir dir;
  const fs::path target = dir.path() / "missing_folder" / "mask.png";
  const Status s = io::WritePng(target, px, 1, 1, 3);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(target));
}

// ---- bad input ----------------------------------------------------------------------------------

TEST(ImageErrors, MissingFileAndDirectory) {
  TempDir dir;
  ExpectUserError(io::ReadImage(dir.path() / "nope.jpg"), "nope.jpg", "no such file");
  ExpectUserError(io::ReadImage(dir.path()), dir.path().string(), "directory");
}

TEST(ImageErrors, EmptyTextAndOtherFormats) {
  TempDir dir;
  ExpectUserError(io::ReadImage(dir.Write("empty.jpg", "")), "empty.jpg", "empty");
  ExpectUserError(io::ReadImage(dir.Write("notes.png", "hello, this is text\n")), "notes.png",
                  "not a JPEG or PNG");
  ExpectUserError(io::ReadImage(dir.Write("anim.jpg", "GIF89a\x01\x00\x01\x00\x00\x00\x00")),
                  "anim.jpg", "GIF");
  ExpectUserError(io::DecodeImage(std::string("RIFF\0\0\0\0WEBPVP8 ", 16), "x.webp"), "x.webp",
                  "WebP");
}

TEST(ImageErrors, TruncatedJpeg) {
  TempDir dir;
  const std::string jpeg = EncodeJpeg(MakeImage(64, 64, 5), 90);
  for (size_t n : {size_t{3}, size_t{40}, jpeg.size() / 2, jpeg.size() - 200}) {
    auto r = io::ReadImage(dir.Write("cut.jpg", jpeg.substr(0, n)));
    ASSERT_FALSE(r.ok()) << "cut at " << n;
    EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
    EXPECT_NE(r.status().message().find("cut.jpg"), std::string::npos);
  }
  ExpectUserError(io::ReadImage(dir.Write("half.jpg", jpeg.substr(0, jpeg.size() / 2))),
                  "half.jpg", "truncated JPEG");
  // Even with only the end-of-image marker missing, as Pillow ("image file is truncated").
  ExpectUserError(io::DecodeImage(jpeg.substr(0, jpeg.size() - 2), "no_eoi.jpg"), "no_eoi.jpg",
                  "truncated JPEG");
}

TEST(ImageErrors, CorruptJpeg) {
  std::string junk = "\xFF\xD8\xFF\xE0";
  std::mt19937 rng(9);
  for (int i = 0; i < 300; ++i) junk.push_back(static_cast<char>(rng() & 0xFF));
  ExpectUserError(io::DecodeImage(junk, "junk.jpg"), "junk.jpg", "JPEG");
}

TEST(ImageErrors, TruncatedAndCorruptPng) {
  RawPng p = Raw(64, 64, PNG_COLOR_TYPE_RGB, 8);
  p.rows = MakeImage(64, 64, 2).rgb;
  const std::string png = EncodeRawPng(p);
  ExpectUserError(io::DecodeImage(png.substr(0, png.size() * 6 / 10), "cut.png"), "cut.png",
                  "truncated PNG");
  ExpectUserError(io::DecodeImage(png.substr(0, 20), "header.png"), "header.png", "PNG");
  std::string bad_crc = png;
  bad_crc[8 + 8 + 3] ^= 0x01;  // a byte of IHDR's width: its CRC no longer matches
  ExpectUserError(io::DecodeImage(bad_crc, "crc.png"), "crc.png", "PNG");
  // Missing IEND after complete pixel data: accepted, like a JPEG without EOI.
  auto r = io::DecodeImage(png.substr(0, png.size() - 12), "no_iend.png");
  EXPECT_TRUE(r.ok()) << r.status().message();
}

TEST(ImageErrors, DecompressionBombsAreRefusedFromTheHeader) {
  ExpectUserError(io::DecodeImage(PngHeaderOnly(100000, 100000), "bomb.png"), "bomb.png",
                  "too large");
  ExpectUserError(io::DecodeImage(PngHeaderOnly(40000, 10), "wide.png"), "wide.png", "too large");
  ExpectUserError(io::DecodeImage(PngHeaderOnly(0x7fffffff, 0x7fffffff), "max.png"), "max.png",
                  "too large");
  const std::string jpeg = EncodeJpeg(MakeImage(16, 16, 1), 80);
  ExpectUserError(io::DecodeImage(PatchJpegSize(jpeg, 30000, 30000), "bomb.jpg"), "bomb.jpg",
                  "too large");
  ExpectUserError(io::DecodeImage(PatchJpegSize(jpeg, 8, 40000), "wide.jpg"), "wide.jpg",
                  "too large");
}

}  // namespace
}  // namespace samq
