#include "sam/postprocess.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <tuple>

#include "core/parallel.h"
#include "sam/upsample.h"

namespace samq::sam {

std::pair<int64_t, int64_t> LongestSideResizeShape(int64_t h, int64_t w, int64_t target) {
  // Python: scale = target * 1.0 / max(h, w); int(h * scale + 0.5) — doubles, truncation of a
  // non-negative value.
  const double scale = static_cast<double>(target) / static_cast<double>(std::max(h, w));
  return {static_cast<int64_t>(static_cast<double>(h) * scale + 0.5),
          static_cast<int64_t>(static_cast<double>(w) * scale + 0.5)};
}

MaskGeometry GeometryForFamily(Family family, int64_t orig_h, int64_t orig_w) {
  MaskGeometry g;
  g.orig_h = orig_h;
  g.orig_w = orig_w;
  g.frame = 1024;
  if (family == Family::kSam2) {
    g.input_h = g.input_w = g.frame;
  } else if (orig_h > 0 && orig_w > 0) {
    std::tie(g.input_h, g.input_w) = LongestSideResizeShape(orig_h, orig_w, g.frame);
  }
  return g;
}

namespace {

Status CheckLowRes(const Tensor& low_res) {
  if (low_res.dtype() != DType::kFloat32) {
    return Status::UserF("mask logits must be float32, got {}", dtype_name(low_res.dtype()));
  }
  if (low_res.rank() < 2) {
    return Status::UserF("mask logits must have rank >= 2 ([..., h, w]), got shape {}",
                         shape_str(low_res.shape()));
  }
  if (low_res.dim(-1) < 1 || low_res.dim(-2) < 1) {
    return Status::UserF("mask logits have an empty plane: shape {}", shape_str(low_res.shape()));
  }
  return Status::Ok();
}

Status CheckGeometry(Family family, const MaskGeometry& geo) {
  if (geo.orig_h < 1 || geo.orig_w < 1) {
    return Status::UserF("original image size must be positive, got {}x{}", geo.orig_h,
                         geo.orig_w);
  }
  if (family != Family::kSam2 && (geo.frame < 1 || geo.input_h < 1 || geo.input_w < 1 ||
                                  geo.input_h > geo.frame || geo.input_w > geo.frame)) {
    return Status::UserF("resized input size {}x{} does not fit the {}x{} mask frame", geo.input_h,
                         geo.input_w, geo.frame, geo.frame);
  }
  return Status::Ok();
}

// Upsamples one low-res plane into `dst` (orig_h x orig_w); `scratch` holds the cropped frame.
void UpsamplePlane(const float* plane, int64_t in_h, int64_t in_w, Family family,
                   const MaskGeometry& geo, std::vector<float>& scratch, float* dst) {
  if (family == Family::kSam2) {
    ResizeBilinear(plane, in_h, in_w, dst, geo.orig_h, geo.orig_w);
    return;
  }
  // frame x frame resize, keep only the top-left input_h x input_w, then to the original size.
  scratch.resize(static_cast<size_t>(geo.input_h * geo.input_w));
  ResizeBilinearTopLeft(plane, in_h, in_w, geo.frame, geo.frame, scratch.data(), geo.input_h,
                        geo.input_w);
  ResizeBilinear(scratch.data(), geo.input_h, geo.input_w, dst, geo.orig_h, geo.orig_w);
}

// A float32 tensor whose memory is not cleared: every element is written by the caller, and
// skipping the memset lets the worker threads take the first-touch page faults in parallel.
Tensor UninitializedFloatTensor(const Shape& shape) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * sizeof(float);
  const size_t padded = ((bytes + 63) / 64) * 64 + 64;  // Buffer::Allocate's size rule
  void* p = std::aligned_alloc(64, padded);
  if (!p) throw std::bad_alloc();
  return Tensor(DType::kFloat32, shape,
                std::make_shared<Buffer>(p, bytes, [](void* q, size_t) { std::free(q); }));
}

}  // namespace

Result<Tensor> UpsampleLogitsToImage(const Tensor& low_res, Family family,
                                     const MaskGeometry& geo) {
  SAMQ_RETURN_IF_ERROR(CheckLowRes(low_res));
  SAMQ_RETURN_IF_ERROR(CheckGeometry(family, geo));
  const int64_t in_h = low_res.dim(-2), in_w = low_res.dim(-1);
  const int64_t planes = low_res.numel() / (in_h * in_w);
  Shape out_shape = low_res.shape();
  out_shape[out_shape.size() - 2] = geo.orig_h;
  out_shape[out_shape.size() - 1] = geo.orig_w;
  Tensor out = UninitializedFloatTensor(out_shape);
  std::vector<float> scratch;
  for (int64_t p = 0; p < planes; ++p) {
    UpsamplePlane(low_res.data<float>() + p * in_h * in_w, in_h, in_w, family, geo, scratch,
                  out.data<float>() + p * geo.orig_h * geo.orig_w);
  }
  return out;
}

Result<Tensor> UpsampleLogitsToImage(const Tensor& low_res, Family family, int64_t input_h,
                                     int64_t input_w, int64_t orig_h, int64_t orig_w,
                                     int64_t frame) {
  MaskGeometry g;
  g.orig_h = orig_h;
  g.orig_w = orig_w;
  g.input_h = input_h;
  g.input_w = input_w;
  g.frame = frame;
  return UpsampleLogitsToImage(low_res, family, g);
}

int64_t BinaryMask::count() const {
  int64_t n = 0;
  for (uint8_t v : pixels) n += v != 0;
  return n;
}

BinaryMask ThresholdPlane(const float* logits, int64_t h, int64_t w, float threshold) {
  BinaryMask m;
  m.height = h;
  m.width = w;
  m.pixels.resize(static_cast<size_t>(h * w));
  uint8_t* __restrict px = m.pixels.data();
  parallel_for(h, std::max<int64_t>(1, 65536 / std::max<int64_t>(w, 1)),
               [&](int64_t y0, int64_t y1) {
                 const float* __restrict in = logits;
                 // 0 - bool gives 0x00 / 0xFF without a branch, so the loop vectorizes.
                 for (int64_t i = y0 * w; i < y1 * w; ++i) {
                   px[i] = static_cast<uint8_t>(0 - static_cast<int>(in[i] > threshold));
                 }
               });
  return m;
}

Result<std::vector<BinaryMask>> ThresholdMasks(const Tensor& logits, float threshold) {
  SAMQ_RETURN_IF_ERROR(CheckLowRes(logits));
  const int64_t h = logits.dim(-2), w = logits.dim(-1);
  const int64_t planes = logits.numel() / (h * w);
  std::vector<BinaryMask> masks;
  masks.reserve(static_cast<size_t>(planes));
  for (int64_t p = 0; p < planes; ++p) {
    masks.push_back(ThresholdPlane(logits.data<float>() + p * h * w, h, w, threshold));
  }
  return masks;
}

Result<PostprocessedMasks> PostprocessMasks(const Tensor& low_res, Family family,
                                            const MaskGeometry& geo, float threshold,
                                            bool keep_logits) {
  PostprocessedMasks r;
  if (keep_logits) {
    SAMQ_ASSIGN_OR_RETURN(r.logits, UpsampleLogitsToImage(low_res, family, geo));
    SAMQ_ASSIGN_OR_RETURN(r.masks, ThresholdMasks(r.logits, threshold));
    return r;
  }
  // Straight to bytes: the last resize is fused with the threshold, so the K x H x W float
  // logits are never written.
  SAMQ_RETURN_IF_ERROR(CheckLowRes(low_res));
  SAMQ_RETURN_IF_ERROR(CheckGeometry(family, geo));
  const int64_t in_h = low_res.dim(-2), in_w = low_res.dim(-1);
  const int64_t planes = low_res.numel() / (in_h * in_w);
  std::vector<float> scratch;
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = low_res.data<float>() + p * in_h * in_w;
    BinaryMask m;
    m.height = geo.orig_h;
    m.width = geo.orig_w;
    m.pixels.resize(static_cast<size_t>(geo.orig_h * geo.orig_w));
    if (family == Family::kSam2) {
      ResizeBilinearThreshold(plane, in_h, in_w, m.pixels.data(), geo.orig_h, geo.orig_w,
                              threshold);
    } else {
      scratch.resize(static_cast<size_t>(geo.input_h * geo.input_w));
      ResizeBilinearTopLeft(plane, in_h, in_w, geo.frame, geo.frame, scratch.data(), geo.input_h,
                            geo.input_w);
      ResizeBilinearThreshold(scratch.data(), geo.input_h, geo.input_w, m.pixels.data(),
                              geo.orig_h, geo.orig_w, threshold);
    }
    r.masks.push_back(std::move(m));
  }
  return r;
}

float StabilityScore(const float* logits, int64_t n, float threshold, float offset) {
  int64_t inter = 0, uni = 0;
  const float hi = threshold + offset, lo = threshold - offset;
  for (int64_t i = 0; i < n; ++i) {
    inter += logits[i] > hi;
    uni += logits[i] > lo;
  }
  return uni > 0 ? static_cast<float>(inter) / static_cast<float>(uni) : 1.f;
}

}  // namespace samq::sam
