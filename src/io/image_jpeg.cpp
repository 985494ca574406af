// JPEG decoding with libjpeg(-turbo), configured as Pillow configures it (accurate integer IDCT,
// fancy upsampling) so the pixels equal `PIL.Image.open(f).convert("RGB")` bit for bit.
//
// libjpeg reports fatal errors through error_exit, which by default calls exit(): we replace it
// with a longjmp back to the decoding frame. To keep longjmp well-defined in C++, every object the
// decoder touches lives in a JpegDecodeState owned by the caller, and the frame that calls setjmp
// holds nothing with a destructor.
// jpeglib.h needs size_t and FILE declared before it; jerror.h needs jpeglib.h.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <jerror.h>

#include "io/exif_orientation.h"
#include "io/image_codecs.h"

namespace samq::io::detail {
namespace {

// A progressive JPEG may hold thousands of tiny scans that each cost a pass over the coefficient
// buffer (a known CPU-exhaustion input); libjpeg-turbo's own TurboJPEG API refuses beyond 500.
constexpr int kMaxProgressiveScans = 500;

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg hands us a pointer to it
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

struct JpegDecodeState {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  jpeg_progress_mgr progress;
  bool created = false;
  int64_t height = 0, width = 0;
  int components = 0;            // of `samples`: 1 gray, 3 RGB, 4 CMYK
  std::vector<uint8_t> samples;  // height x width x components
  int orientation = 1;
};

enum class JpegOutcome { kOk, kLibjpegError, kTooLarge };

void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings: only "premature end of data" is fatal (Pillow raises "image file is truncated"; libjpeg
// would pad the picture with gray). Other warnings (extraneous bytes, ...) are ignored, as Pillow
// does, and nothing is printed on stderr.
void OnJpegMessage(j_common_ptr cinfo, int msg_level) {
  if (msg_level >= 0 || cinfo->err->msg_code != JWRN_JPEG_EOF) return;
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  err->truncated = true;
  std::snprintf(err->message, sizeof(err->message), "premature end of data");
  std::longjmp(err->jump, 1);
}

void OnJpegProgress(j_common_ptr cinfo) {
  auto* dinfo = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (dinfo->progressive_mode && dinfo->input_scan_number > kMaxProgressiveScans) {
    auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
    std::snprintf(err->message, sizeof(err->message),
                  "progressive JPEG with more than %d scans", kMaxProgressiveScans);
    std::longjmp(err->jump, 1);
  }
}

int OrientationFromMarkers(j_decompress_ptr cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 6) continue;
    if (std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;  // APP1 also carries XMP
    return ExifOrientation(m->data, m->data_length);
  }
  return 1;
}

// Runs libjpeg. The only frame between setjmp and a longjmp is libjpeg's own C code.
JpegOutcome RunLibjpeg(const std::string& bytes, JpegDecodeState* s) {
  j_decompress_ptr cinfo = &s->cinfo;
  cinfo->err = jpeg_std_error(&s->err.pub);
  s->err.pub.error_exit = OnJpegError;
  s->err.pub.emit_message = OnJpegMessage;
  s->err.truncated = false;
  s->err.message[0] = '\0';
  if (setjmp(s->err.jump)) return JpegOutcome::kLibjpegError;

  jpeg_create_decompress(cinfo);
  s->created = true;
  s->progress.progress_monitor = OnJpegProgress;
  cinfo->progress = &s->progress;
  jpeg_mem_src(cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(cinfo, TRUE);

  s->height = cinfo->image_height;
  s->width = cinfo->image_width;
  if (s->height <= 0 || s->width <= 0 || s->height > kMaxImageSide || s->width > kMaxImageSide ||
      s->height * s->width > kMaxImagePixels) {
    return JpegOutcome::kTooLarge;
  }
  s->orientation = OrientationFromMarkers(cinfo);

  // Pillow's defaults: JDCT_ISLOW and fancy upsampling (which also rules out merged upsampling).
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default: cinfo->out_color_space = JCS_RGB; break;  // YCbCr, RGB; libjpeg rejects the rest
  }
  jpeg_start_decompress(cinfo);
  s->components = cinfo->output_components;
  if (s->components != 1 && s->components != 3 && s->components != 4) {
    std::snprintf(s->err.message, sizeof(s->err.message), "unsupported number of components %d",
                  s->components);
    return JpegOutcome::kLibjpegError;
  }
  s->samples.resize(static_cast<size_t>(s->height * s->width * s->components));
  const size_t stride = static_cast<size_t>(s->width * s->components);
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = s->samples.data() + cinfo->output_scanline * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  // Reading up to the end marker makes a file cut anywhere before it an error, as in Pillow
  // ("image file is truncated" even when only the EOI marker is missing).
  jpeg_finish_decompress(cinfo);
  return JpegOutcome::kOk;
}

// Pillow's CMYK → RGB for JPEG: Adobe files store inverted CMYK (Pillow's rawmode "CMYK;I"), then
// r = (255 − k) − (c·(255 − k)) / 255 with Pillow's rounding division by 255.
void CmykToRgb(const std::vector<uint8_t>& cmyk, std::vector<uint8_t>* rgb) {
  const size_t n = cmyk.size() / 4;
  rgb->resize(n * 3);
  auto mul_div_255 = [](int a, int b) {
    const int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  for (size_t i = 0; i < n; ++i) {
    const int k = 255 - cmyk[i * 4 + 3];
    const int nk = 255 - k;
    for (int ch = 0; ch < 3; ++ch) {
      const int c = 255 - cmyk[i * 4 + ch];
      int v = nk - mul_div_255(c, nk);
      (*rgb)[i * 3 + ch] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
    }
  }
}

}  // namespace

Result<DecodedImage> DecodeJpeg(const std::string& bytes, const std::string& name) {
  JpegDecodeState state;
  const JpegOutcome outcome = RunLibjpeg(bytes, &state);
  if (state.created) jpeg_destroy_decompress(&state.cinfo);
  if (outcome == JpegOutcome::kTooLarge) {
    SAMQ_RETURN_IF_ERROR(CheckImageSize(state.height, state.width, name, "JPEG"));
    return Status::InternalF("image '{}': size check disagrees", name);
  }
  if (outcome == JpegOutcome::kLibjpegError) {
    if (state.err.truncated) {
      return Status::UserF("image '{}': truncated JPEG ({})", name, state.err.message);
    }
    return Status::UserF("image '{}': corrupt or unsupported JPEG ({})", name, state.err.message);
  }

  DecodedImage out;
  out.orientation = state.orientation;
  out.image.height = state.height;
  out.image.width = state.width;
  if (state.components == 3) {
    out.image.rgb = std::move(state.samples);
  } else if (state.components == 4) {
    CmykToRgb(state.samples, &out.image.rgb);
  } else {  // gray → RGB replicates the value, as PIL's convert("RGB")
    out.image.rgb.resize(state.samples.size() * 3);
    for (size_t i = 0; i < state.samples.size(); ++i) {
      out.image.rgb[i * 3 + 0] = out.image.rgb[i * 3 + 1] = out.image.rgb[i * 3 + 2] =
          state.samples[i];
    }
  }
  return out;
}

}  // namespace samq::io::detail
