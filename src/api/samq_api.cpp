// The public API (include/samq/samq.h): a thin layer over sam::SamModel / sam::Predictor that
// converts between the public plain structs and samq's internal types.
#include "samq/samq.h"

#include <cstring>

#include "io/image.h"
#include "sam/predictor.h"
#include "sam/rle.h"

namespace samq {

Result<Image> LoadImage(const std::string& path) {
  SAMQ_ASSIGN_OR_RETURN(io::Image im, io::ReadImage(path));
  return Image{im.height, im.width, std::move(im.rgb)};
}

Model::Model(std::shared_ptr<const sam::SamModel> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::Load(const std::string& encoder, const std::string& decoder,
                                                 const ModelOptions& options) {
  sam::PredictorOptions po;
  po.threads = options.threads;
  if (options.precision == "bf16") po.precision = rt::ComputePrecision::kBFloat16;
  else if (options.precision != "fp32")
    return Status::UserF("precision '{}': expected fp32 or bf16", options.precision);
  if (options.family != "auto") {
    auto f = sam::family_from_name(options.family);
    if (!f) return Status::UserF("family '{}': expected auto, sam, mobilesam, efficientvit-sam or sam2", options.family);
    po.family = *f;
  }
  SAMQ_ASSIGN_OR_RETURN(auto impl, sam::SamModel::Load(encoder, decoder, po));
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

std::string Model::family() const { return std::string(sam::family_name(impl_->family())); }

Predictor::Predictor(std::shared_ptr<const Model> model)
    : impl_(std::make_unique<sam::Predictor>(model->impl_)) {}
Predictor::~Predictor() = default;
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;

Status Predictor::SetImage(const Image& image) {
  if (image.height <= 0 || image.width <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.height * image.width * 3))
    return Status::UserF("image: {} bytes do not make a {}x{} RGB image", image.rgb.size(), image.width, image.height);
  io::Image im{image.height, image.width, image.rgb};
  return impl_->SetImage(im);
}

double Predictor::encoder_ms() const { return impl_->encoder_ms(); }

Result<Masks> Predictor::Predict(const Prompt& prompt) {
  sam::Prompt p;
  for (const auto& pt : prompt.points) p.points.push_back({pt.x, pt.y, pt.label});
  for (const auto& b : prompt.boxes) p.boxes.push_back({b.x0, b.y0, b.x1, b.y1});
  p.multimask = prompt.multimask;
  if (prompt.mask_input) {
    if (prompt.mask_input->size() != 256 * 256)
      return Status::UserF("mask_input: {} values given, expected 256*256 low-res logits", prompt.mask_input->size());
    Tensor t = Tensor::Zeros(DType::kFloat32, {1, 1, 256, 256});
    std::memcpy(t.data<float>(), prompt.mask_input->data(), 256 * 256 * sizeof(float));
    p.mask_input = t;
  }
  SAMQ_ASSIGN_OR_RETURN(sam::Prediction pred, impl_->Predict(p));
  Masks out;
  out.decoder_ms = pred.decoder_ms;
  for (auto& pm : pred.masks) {
    Mask m;
    m.height = pm.mask.height;
    m.width = pm.mask.width;
    m.score = pm.score;
    sam::Rle rle = sam::EncodeRle(pm.mask.pixels.data(), m.height, m.width);
    m.rle_counts = sam::RleToString(rle);
    m.area = pm.mask.count();
    m.bbox = sam::RleBbox(rle);
    m.pixels = std::move(pm.mask.pixels);
    m.low_res_logits.assign(pm.low_res.data<float>(), pm.low_res.data<float>() + pm.low_res.numel());
    out.masks.push_back(std::move(m));
  }
  return out;
}

}  // namespace samq
