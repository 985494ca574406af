// Each resize below reproduces its reference implementation's arithmetic, including the float vs
// double types of every intermediate, because SAM masks are thresholded logits: a preprocessing
// difference of one gray level moves mask boundaries.
#include "sam/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"

namespace samq::sam {
namespace {

Status CheckSizes(const char* what, int64_t planes, int64_t in_h, int64_t in_w, int64_t out_h,
                  int64_t out_w) {
  if (planes < 0 || in_h <= 0 || in_w <= 0 || out_h <= 0 || out_w <= 0) {
    return Status::InternalF("{}: invalid sizes (planes {}, {}x{} -> {}x{})", what, planes, in_h,
                             in_w, out_h, out_w);
  }
  return Status::Ok();
}

// ---- Pillow (src/libImaging/Resample.c): separable triangle filter, fixed-point taps. ----------

// Pillow accumulates 8-bit samples times coefficients scaled by 2^22 in 32-bit integers.
constexpr int kPilPrecisionBits = 32 - 8 - 2;

struct PilTaps {
  int64_t ksize = 0;
  std::vector<int64_t> first, count;  // per output sample: first input index, number of taps
  std::vector<int32_t> coeff;         // out_size x ksize
};

double PilBilinearFilter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

PilTaps PilBilinearTaps(int64_t in_size, int64_t out_size) {
  // Pillow passes the source box as floats (0, in_size): the width is a float difference.
  const double scale =
      static_cast<double>(static_cast<float>(in_size) - 0.0f) / static_cast<double>(out_size);
  // Downscaling stretches the filter over `scale` input pixels: that is the antialiasing.
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;  // the bilinear filter's support is 1
  PilTaps t;
  t.ksize = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.coeff.assign(static_cast<size_t>(out_size * t.ksize), 0);
  std::vector<double> k(static_cast<size_t>(t.ksize));
  for (int64_t xx = 0; xx < out_size; ++xx) {
    const double center = 0.0 + (static_cast<double>(xx) + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int64_t xmin = static_cast<int64_t>(center - support + 0.5);  // truncation, as C's (int)
    if (xmin < 0) xmin = 0;
    int64_t xmax = static_cast<int64_t>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int64_t x = 0; x < xmax; ++x) {
      const double w = PilBilinearFilter((static_cast<double>(x + xmin) - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int64_t x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
    }
    for (int64_t x = 0; x < xmax; ++x) {  // round half away from zero to 2^22 fixed point
      const double v = k[x] * (1 << kPilPrecisionBits);
      t.coeff[xx * t.ksize + x] = static_cast<int32_t>(v < 0 ? -0.5 + v : 0.5 + v);
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

inline uint8_t PilClip8(int32_t acc) {
  const int32_t v = acc >> kPilPrecisionBits;  // arithmetic shift: floor, as Pillow's lookup
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Horizontal pass over source rows [row0, row0 + rows) into `dst` (rows x out_w x 3).
void PilHorizontal(const uint8_t* src, int64_t in_w, int64_t row0, int64_t rows, const PilTaps& t,
                   int64_t out_w, uint8_t* dst) {
  parallel_for(rows, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const uint8_t* in = src + (row0 + r) * in_w * 3;
      uint8_t* out = dst + r * out_w * 3;
      for (int64_t xx = 0; xx < out_w; ++xx) {
        const int32_t* k = &t.coeff[xx * t.ksize];
        const uint8_t* p = in + t.first[xx] * 3;
        int32_t s0 = 1 << (kPilPrecisionBits - 1), s1 = s0, s2 = s0;  // +0.5 for rounding
        for (int64_t x = 0; x < t.count[xx]; ++x) {
          s0 += p[x * 3 + 0] * k[x];
          s1 += p[x * 3 + 1] * k[x];
          s2 += p[x * 3 + 2] * k[x];
        }
        out[xx * 3 + 0] = PilClip8(s0);
        out[xx * 3 + 1] = PilClip8(s1);
        out[xx * 3 + 2] = PilClip8(s2);
      }
    }
  });
}

// Vertical pass; `row_shift` is subtracted from the taps' first rows (Pillow's ybox_first).
void PilVertical(const uint8_t* src, int64_t width, const PilTaps& t, int64_t row_shift,
                 int64_t out_h, uint8_t* dst) {
  parallel_for(out_h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t yy = begin; yy < end; ++yy) {
      const int32_t* k = &t.coeff[yy * t.ksize];
      const int64_t ymin = t.first[yy] - row_shift;
      uint8_t* out = dst + yy * width * 3;
      for (int64_t i = 0; i < width * 3; ++i) {
        int32_t s = 1 << (kPilPrecisionBits - 1);
        for (int64_t y = 0; y < t.count[yy]; ++y) s += src[(ymin + y) * width * 3 + i] * k[y];
        out[i] = PilClip8(s);
      }
    }
  });
}

// ---- torch (aten/src/ATen/native/cpu/UpSampleKernel.cpp), float32 ------------------------------

struct TorchTaps {
  int64_t ksize = 0;
  std::vector<int64_t> first, count;
  std::vector<float> w;  // out_size x ksize
};

float TorchAaFilter(float x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return static_cast<float>(1.0 - x);
  return 0.0f;
}

// torch's `_compute_indices_weights_aa` for the linear filter, with its float/double mix:
// scale, support, center and the weights are float (scalar_t); some sums go through double.
TorchTaps TorchAntialiasTaps(int64_t in_size, int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  const float support = scale >= 1.0f ? static_cast<float>((2 * 0.5) * scale) : 1.0f;
  const float invscale = scale >= 1.0f ? static_cast<float>(1.0 / scale) : 1.0f;
  TorchTaps t;
  t.ksize = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.w.assign(static_cast<size_t>(out_size * t.ksize), 0.0f);
  for (int64_t i = 0; i < out_size; ++i) {
    const float center = static_cast<float>(scale * (static_cast<double>(i) + 0.5));
    const int64_t xmin =
        std::max(static_cast<int64_t>(static_cast<double>(center - support) + 0.5), int64_t{0});
    const int64_t xsize =
        std::min(static_cast<int64_t>(static_cast<double>(center + support) + 0.5), in_size) -
        xmin;
    float* w = &t.w[i * t.ksize];
    float total = 0.0f;
    for (int64_t j = 0; j < xsize; ++j) {
      const double arg =
          (static_cast<double>(static_cast<float>(j + xmin) - center) + 0.5) * invscale;
      w[j] = TorchAaFilter(static_cast<float>(arg));
      total += w[j];
    }
    if (total != 0.0f) {
      for (int64_t j = 0; j < xsize; ++j) w[j] /= total;
    }
    t.first[i] = xmin;
    t.count[i] = xsize;
  }
  return t;
}

// One separable pass along the last dim (horizontal) of `planes*rows` rows.
void TorchAaHorizontal(const float* src, int64_t rows, int64_t in_w, const TorchTaps& t,
                       int64_t out_w, float* dst) {
  parallel_for(rows, 32, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = src + r * in_w;
      float* out = dst + r * out_w;
      for (int64_t x = 0; x < out_w; ++x) {
        const float* w = &t.w[x * t.ksize];
        const float* p = in + t.first[x];
        float acc = p[0] * w[0];
        for (int64_t j = 1; j < t.count[x]; ++j) acc += p[j] * w[j];
        out[x] = acc;
      }
    }
  });
}

// One separable pass along the rows (vertical) of `planes` planes of in_h x width.
void TorchAaVertical(const float* src, int64_t planes, int64_t in_h, int64_t width,
                     const TorchTaps& t, int64_t out_h, float* dst) {
  parallel_for(planes * out_h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t py = begin; py < end; ++py) {
      const int64_t plane = py / out_h, y = py % out_h;
      const float* w = &t.w[y * t.ksize];
      const float* in = src + (plane * in_h + t.first[y]) * width;
      float* out = dst + py * width;
      for (int64_t x = 0; x < width; ++x) {
        float acc = in[x] * w[0];
        for (int64_t j = 1; j < t.count[y]; ++j) acc += in[j * width + x] * w[j];
        out[x] = acc;
      }
    }
  });
}

struct LinearTap {
  int64_t i0, i1;
  float l0, l1;
};

// torch's source index for align_corners=False (area_pixel_compute_source_index, float).
std::vector<LinearTap> TorchLinearTaps(int64_t in_size, int64_t out_size) {
  std::vector<LinearTap> taps(static_cast<size_t>(out_size));
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  for (int64_t o = 0; o < out_size; ++o) {
    LinearTap& t = taps[o];
    if (in_size == out_size) {
      t = {o, o, 1.0f, 0.0f};
      continue;
    }
    float real = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
    if (real < 0.0f) real = 0.0f;
    t.i0 = std::min(static_cast<int64_t>(std::floor(real)), in_size - 1);
    t.l1 = std::min(std::max(real - static_cast<float>(t.i0), 0.0f), 1.0f);
    t.i1 = t.i0 + (t.i0 < in_size - 1 ? 1 : 0);
    t.l0 = 1.0f - t.l1;
  }
  return taps;
}

}  // namespace

Result<io::Image> ResizeBilinearAntialiasU8(const io::Image& image, int64_t out_h, int64_t out_w) {
  SAMQ_RETURN_IF_ERROR(
      CheckSizes("ResizeBilinearAntialiasU8", 1, image.height, image.width, out_h, out_w));
  if (static_cast<int64_t>(image.rgb.size()) != image.height * image.width * 3) {
    return Status::Internal("ResizeBilinearAntialiasU8: pixel buffer does not match the size");
  }
  if (out_h == image.height && out_w == image.width) return image;  // Pillow returns a copy

  const PilTaps horiz = PilBilinearTaps(image.width, out_w);
  const PilTaps vert = PilBilinearTaps(image.height, out_h);
  const bool need_horizontal = out_w != image.width;
  const bool need_vertical = out_h != image.height;

  io::Image out;
  out.height = out_h;
  out.width = out_w;
  out.rgb.resize(static_cast<size_t>(out_h * out_w * 3));
  if (need_horizontal) {
    // Only the source rows some output row reads go through the horizontal pass.
    const int64_t row_first = vert.first[0];
    const int64_t row_last = vert.first[out_h - 1] + vert.count[out_h - 1];
    if (!need_vertical) {
      PilHorizontal(image.rgb.data(), image.width, 0, image.height, horiz, out_w, out.rgb.data());
      return out;
    }
    std::vector<uint8_t> temp(static_cast<size_t>((row_last - row_first) * out_w * 3));
    PilHorizontal(image.rgb.data(), image.width, row_first, row_last - row_first, horiz, out_w,
                  temp.data());
    PilVertical(temp.data(), out_w, vert, row_first, out_h, out.rgb.data());
  } else {
    PilVertical(image.rgb.data(), image.width, vert, 0, out_h, out.rgb.data());
  }
  return out;
}

Status ResizeBilinearAntialiasFloat(const float* src, int64_t planes, int64_t in_h, int64_t in_w,
                                    float* dst, int64_t out_h, int64_t out_w) {
  SAMQ_RETURN_IF_ERROR(
      CheckSizes("ResizeBilinearAntialiasFloat", planes, in_h, in_w, out_h, out_w));
  // torch resizes the contiguous (width) dim first, then the height; a pass whose size does
  // not change is an exact copy (weights 1 and 0), so it is skipped.
  std::vector<float> temp;
  const float* rows = src;
  if (out_w != in_w) {
    if (out_h != in_h) temp.resize(static_cast<size_t>(planes * in_h * out_w));
    TorchAaHorizontal(src, planes * in_h, in_w, TorchAntialiasTaps(in_w, out_w), out_w,
                      out_h == in_h ? dst : temp.data());
    if (out_h == in_h) return Status::Ok();
    rows = temp.data();
  }
  if (out_h != in_h) {
    TorchAaVertical(rows, planes, in_h, out_w, TorchAntialiasTaps(in_h, out_h), out_h, dst);
  } else {
    std::copy(src, src + planes * in_h * in_w, dst);
  }
  return Status::Ok();
}

Status UpsampleBilinear(const float* src, int64_t planes, int64_t in_h, int64_t in_w, float* dst,
                        int64_t out_h, int64_t out_w) {
  SAMQ_RETURN_IF_ERROR(CheckSizes("UpsampleBilinear", planes, in_h, in_w, out_h, out_w));
  const std::vector<LinearTap> ty = TorchLinearTaps(in_h, out_h);
  const std::vector<LinearTap> tx = TorchLinearTaps(in_w, out_w);
  parallel_for(planes * out_h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t py = begin; py < end; ++py) {
      const int64_t plane = py / out_h, y = py % out_h;
      const LinearTap& vy = ty[y];
      const float* row0 = src + (plane * in_h + vy.i0) * in_w;
      const float* row1 = src + (plane * in_h + vy.i1) * in_w;
      float* out = dst + py * out_w;
      for (int64_t x = 0; x < out_w; ++x) {
        const LinearTap& vx = tx[x];
        // torch's nesting: interpolate along x within each of the two rows, then along y.
        float t0 = row0[vx.i0] * vx.l0;
        t0 += row0[vx.i1] * vx.l1;
        float t1 = row1[vx.i0] * vx.l0;
        t1 += row1[vx.i1] * vx.l1;
        float acc = t0 * vy.l0;
        acc += t1 * vy.l1;
        out[x] = acc;
      }
    }
  });
  return Status::Ok();
}

Result<Tensor> UpsampleBilinear(const Tensor& input, int64_t out_h, int64_t out_w) {
  if (input.dtype() != DType::kFloat32 || input.rank() < 2) {
    return Status::Internal("UpsampleBilinear: expects a float32 tensor of rank >= 2");
  }
  const int64_t in_h = input.dim(-2), in_w = input.dim(-1);
  const int64_t planes = in_h * in_w == 0 ? 0 : input.numel() / (in_h * in_w);
  Shape shape = input.shape();
  shape[shape.size() - 2] = out_h;
  shape[shape.size() - 1] = out_w;
  Tensor out = Tensor::Zeros(DType::kFloat32, shape);
  SAMQ_RETURN_IF_ERROR(
      UpsampleBilinear(input.data<float>(), planes, in_h, in_w, out.data<float>(), out_h, out_w));
  return out;
}

}  // namespace samq::sam
