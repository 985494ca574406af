#include "sam/preprocess.h"

#include <algorithm>
#include <vector>

#include "core/parallel.h"
#include "sam/resize.h"

namespace samq::sam {
namespace {

// segment_anything Sam.pixel_mean / pixel_std (0..255 scale), the same for MobileSAM and
// EfficientViT-SAM; SAM 2 uses the ImageNet values on the 0..1 scale.
constexpr double kSamMean[3] = {123.675, 116.28, 103.53};
constexpr double kSamStd[3] = {58.395, 57.12, 57.375};
constexpr double kImageNetMean[3] = {0.485, 0.456, 0.406};
constexpr double kImageNetStd[3] = {0.229, 0.224, 0.225};

bool IsSam1Family(Family f) {
  return f == Family::kSam || f == Family::kMobileSam || f == Family::kEfficientVitSam;
}

// SAM-1 families: resized 8-bit pixels → normalized, zero-padded 1x3xSxS.
Tensor NormalizeAndPad(const io::Image& resized, Family family, int64_t side) {
  Tensor out = Tensor::Zeros(DType::kFloat32, {1, 3, side, side});  // zeros = the padding
  float* dst = out.data<float>();
  const int64_t h = resized.height, w = resized.width;
  for (int c = 0; c < 3; ++c) {
    float* plane = dst + c * side * side;
    if (family == Family::kEfficientVitSam) {
      // torchvision ToTensor then Normalize(mean / 255, std / 255): float32 ops in this order.
      const float mean = static_cast<float>(kSamMean[c] / 255.0);
      const float std = static_cast<float>(kSamStd[c] / 255.0);
      for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
          const float v = static_cast<float>(resized.pixel(y, x)[c]) / 255.0f;
          plane[y * side + x] = (v - mean) / std;
        }
      }
    } else {
      // Sam.preprocess: (x - pixel_mean) / pixel_std with uint8 x promoted to float32.
      const float mean = static_cast<float>(kSamMean[c]);
      const float std = static_cast<float>(kSamStd[c]);
      for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
          plane[y * side + x] = (static_cast<float>(resized.pixel(y, x)[c]) - mean) / std;
        }
      }
    }
  }
  return out;
}

Result<Preprocessed> PreprocessSam1(const io::Image& image, Family family, int64_t side) {
  Preprocessed p;
  p.orig_h = image.height;
  p.orig_w = image.width;
  std::tie(p.input_h, p.input_w) = PreprocessShape(image.height, image.width, side);
  SAMQ_ASSIGN_OR_RETURN(io::Image resized,
                        ResizeBilinearAntialiasU8(image, p.input_h, p.input_w));
  p.image = NormalizeAndPad(resized, family, side);
  return p;
}

Result<Preprocessed> PreprocessSam2(const io::Image& image, int64_t side) {
  const int64_t h = image.height, w = image.width;
  // ToTensor: HWC uint8 → CHW float32 / 255.
  std::vector<float> chw(static_cast<size_t>(3 * h * w));
  for (int64_t i = 0; i < h * w; ++i) {
    for (int c = 0; c < 3; ++c) chw[c * h * w + i] = static_cast<float>(image.rgb[i * 3 + c]) / 255.0f;
  }
  Preprocessed p;
  p.orig_h = h;
  p.orig_w = w;
  p.input_h = side;
  p.input_w = side;
  p.image = Tensor::Zeros(DType::kFloat32, {1, 3, side, side});
  float* dst = p.image.data<float>();
  SAMQ_RETURN_IF_ERROR(ResizeBilinearAntialiasFloat(chw.data(), 3, h, w, dst, side, side));
  for (int c = 0; c < 3; ++c) {
    const float mean = static_cast<float>(kImageNetMean[c]);
    const float std = static_cast<float>(kImageNetStd[c]);
    float* plane = dst + c * side * side;
    for (int64_t i = 0; i < side * side; ++i) plane[i] = (plane[i] - mean) / std;
  }
  return p;
}

}  // namespace

std::pair<int64_t, int64_t> PreprocessShape(int64_t h, int64_t w, int64_t long_side) {
  const double scale = static_cast<double>(long_side) * 1.0 / static_cast<double>(std::max(h, w));
  const double new_h = static_cast<double>(h) * scale, new_w = static_cast<double>(w) * scale;
  return {static_cast<int64_t>(new_h + 0.5), static_cast<int64_t>(new_w + 0.5)};
}

Result<Preprocessed> PreprocessImage(const io::Image& image, Family family, int64_t encoder_side) {
  if (family == Family::kUnknown) {
    return Status::User("cannot preprocess the image: the model family is unknown "
                        "(force one with --family sam|mobilesam|efficientvit-sam|sam2)");
  }
  if (encoder_side <= 0 || encoder_side > io::kMaxImageSide) {
    return Status::UserF("the encoder's image input side {} is not a usable size", encoder_side);
  }
  if (image.height <= 0 || image.width <= 0 ||
      static_cast<int64_t>(image.rgb.size()) != image.height * image.width * 3) {
    return Status::InternalF("PreprocessImage: malformed image {}x{} with {} bytes", image.height,
                             image.width, image.rgb.size());
  }
  if (IsSam1Family(family)) return PreprocessSam1(image, family, encoder_side);
  return PreprocessSam2(image, encoder_side);
}

std::pair<int64_t, int64_t> PromptFrameInputSize(int64_t orig_h, int64_t orig_w, Family family,
                                                 int64_t prompt_frame) {
  if (family == Family::kSam2) return {prompt_frame, prompt_frame};
  return PreprocessShape(orig_h, orig_w, prompt_frame);
}

std::pair<float, float> TransformPoint(double x, double y, int64_t orig_h, int64_t orig_w,
                                       Family family, int64_t prompt_frame) {
  if (family == Family::kSam2) {
    // SAM2ImagePredictor: torch.as_tensor(coords, dtype=float32), then / w, / h, * resolution.
    const float fx = static_cast<float>(x) / static_cast<float>(orig_w);
    const float fy = static_cast<float>(y) / static_cast<float>(orig_h);
    return {fx * static_cast<float>(prompt_frame), fy * static_cast<float>(prompt_frame)};
  }
  // ResizeLongestSide.apply_coords in float64 numpy; the predictor then casts to float32.
  const auto [new_h, new_w] = PreprocessShape(orig_h, orig_w, prompt_frame);
  const double sx = static_cast<double>(new_w) / static_cast<double>(orig_w);
  const double sy = static_cast<double>(new_h) / static_cast<double>(orig_h);
  return {static_cast<float>(x * sx), static_cast<float>(y * sy)};
}

std::pair<float, float> TransformPoint(double x, double y, const Preprocessed& pre, Family family,
                                       int64_t prompt_frame) {
  return TransformPoint(x, y, pre.orig_h, pre.orig_w, family, prompt_frame);
}

}  // namespace samq::sam
