// Decoder calibration: prompts sampled per image the way people use SAM — clicks on a grid, then
// boxes around what the decoder itself segmented (with its mask fed back).
#include <algorithm>

#include "quant/calib/calib_workload.h"
#include "sam/decoder_adapter.h"
#include "sam/preprocess.h"

namespace samq::quant {
namespace {

struct DecoderCall {
  int64_t image = 0;
  sam::DecoderPrompt prompt;
};

struct ImageFeatures {
  std::map<std::string, Tensor> features;
  int64_t orig_h = 0, orig_w = 0;
};

class DecoderWorkload : public CalibWorkload {
 public:
  DecoderWorkload(const rt::Session& d, sam::DecoderSignature sig) : decoder_(d), sig_(std::move(sig)) {}
  int64_t size() const override { return static_cast<int64_t>(calls_.size()); }
  Status Run(int64_t i) override {
    const DecoderCall& c = calls_[i];
    const ImageFeatures& f = images_[c.image];
    auto r = sam::RunDecoder(decoder_, sig_, f.features, c.prompt, f.orig_h, f.orig_w);
    return r.ok() ? Status::Ok() : r.status().WithContext(fmt::format("decoder calibration call {}", i));
  }

  const rt::Session& decoder_;
  sam::DecoderSignature sig_;
  std::vector<ImageFeatures> images_;
  std::vector<DecoderCall> calls_;
};

// The best-scoring output's low-res logits (1x1x256x256) and the box around its positive pixels
// in the decoder's 1024 frame (the 256x256 low-res grid covers it at 4 px per cell); no box if
// the mask is empty.
std::optional<std::array<float, 4>> BestMaskBox(const sam::DecoderResult& r, Tensor& mask_out) {
  if (r.low_res.rank() != 4 || r.iou.empty()) return std::nullopt;
  const int64_t k = std::max_element(r.iou.begin(), r.iou.end()) - r.iou.begin();
  const int64_t h = r.low_res.dim(2), w = r.low_res.dim(3);
  if (k >= r.low_res.dim(1) || h != 256 || w != 256) return std::nullopt;
  mask_out = Tensor::Zeros(DType::kFloat32, {1, 1, h, w});
  const float* src = r.low_res.data<float>() + k * h * w;
  std::copy(src, src + h * w, mask_out.data<float>());
  int64_t x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (src[y * w + x] > 0) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  if (x1 < 0) return std::nullopt;
  const float cell = 1024.f / static_cast<float>(w);
  return std::array<float, 4>{x0 * cell, y0 * cell, (x1 + 1) * cell, (y1 + 1) * cell};
}

}  // namespace

Result<std::unique_ptr<CalibWorkload>> MakeDecoderWorkload(const rt::Session& decoder, const std::string& decoder_name,
                                                           const rt::Session& encoder, const CalibImages& images,
                                                           sam::Family family, int grid) {
  SAMQ_ASSIGN_OR_RETURN(sam::DecoderSignature sig, sam::InspectDecoder(decoder.inputs(), decoder_name));
  SAMQ_ASSIGN_OR_RETURN(int64_t side, EncoderSide(encoder, "--encoder"));
  auto w = std::make_unique<DecoderWorkload>(decoder, sig);
  grid = std::max(grid, 1);
  for (int64_t i = 0; i < images.size(); ++i) {
    SAMQ_ASSIGN_OR_RETURN(io::Image image, images.Get(i));
    SAMQ_ASSIGN_OR_RETURN(sam::Preprocessed pre, sam::PreprocessImage(image, family, side));
    auto enc = encoder.Run({{encoder.inputs()[0].name, pre.image}});
    if (!enc.ok()) return enc.status().WithContext("--encoder on calibration image " + images.name(i));
    w->images_.push_back({std::move(enc).value(), pre.orig_h, pre.orig_w});
    for (int gy = 0; gy < grid; ++gy)
      for (int gx = 0; gx < grid; ++gx) {
        const double x = (gx + 0.5) / grid * static_cast<double>(pre.orig_w);
        const double y = (gy + 0.5) / grid * static_cast<double>(pre.orig_h);
        auto [px, py] = sam::TransformPoint(x, y, pre.orig_h, pre.orig_w, family);
        DecoderCall click{i, {}};
        click.prompt.points.push_back({px, py});
        click.prompt.labels.push_back(1.f);
        w->calls_.push_back(click);
        auto r = sam::RunDecoder(decoder, sig, w->images_.back().features, click.prompt, pre.orig_h, pre.orig_w);
        if (!r.ok()) return r.status().WithContext("decoder calibration on " + images.name(i));
        Tensor mask;
        if (auto box = BestMaskBox(*r, mask)) {
          DecoderCall boxed{i, {}};
          boxed.prompt.box = *box;
          boxed.prompt.mask_input = mask;
          w->calls_.push_back(boxed);
        }
      }
  }
  return std::unique_ptr<CalibWorkload>(std::move(w));
}

}  // namespace samq::quant
