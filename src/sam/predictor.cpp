#include "sam/predictor.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

#include "backends/registry.h"
#include "onnx/import.h"
#include "sam/decoder_adapter.h"
#include "sam/preprocess.h"

namespace samq::sam {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Tensor plane(const Tensor& t, int64_t k) {
  int64_t h = t.dim(2), w = t.dim(3);
  Tensor out = Tensor::Zeros(DType::kFloat32, {1, 1, h, w});
  std::memcpy(out.data<float>(), t.data<float>() + k * h * w, static_cast<size_t>(h * w) * 4);
  return out;
}

const ir::ValueInfo* find(const std::vector<ir::ValueInfo>& vs, const std::string& n) {
  for (const auto& v : vs)
    if (v.name == n) return &v;
  return nullptr;
}

// The official SAM-1 export (and samexporter's) upsamples all K masks to the original size inside
// the graph (Resize -> crop -> Resize, 4 x 1200 x 1800 floats for the truck: about 2.8 of the
// decoder's 19 ms). The predictor returns one of them unless multimask is asked, so it drops the
// full-size `masks` output when `low_res_masks` is there too: dead-node elimination then removes
// the upsampling, and PostprocessMasks upsamples only the planes that are returned, as the
// official PyTorch predictor does (same F.interpolate arithmetic, sam/upsample.h).
void DropFullResolutionMasks(ir::Model& model) {
  auto& outs = model.graph.outputs;
  auto named = [&](const char* n) {
    return std::find_if(outs.begin(), outs.end(), [&](const ir::ValueInfo& v) { return v.name == n; });
  };
  const bool takes_size = std::any_of(model.graph.inputs.begin(), model.graph.inputs.end(),
                                      [](const ir::ValueInfo& v) { return v.name == "orig_im_size"; });
  if (takes_size && named("low_res_masks") != outs.end() && named("masks") != outs.end()) outs.erase(named("masks"));
}

Result<std::unique_ptr<rt::Session>> load_session(
    const std::filesystem::path& path, int threads,
    rt::ComputePrecision precision = rt::ComputePrecision::kFloat32,
    const std::function<void(ir::Model&)>& edit = {}) {
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(path));
  if (edit) edit(imported.model);
  rt::SessionOptions so;
  so.threads = threads;
  so.precision = precision;
  so.release_packed_weights = true;  // the predictor never reads weights back
  return rt::Session::Create(std::move(imported.model), backends::DefaultRegistry(), so);
}

}  // namespace

struct SamModel::Impl {
  std::unique_ptr<rt::Session> encoder, decoder;
  DecoderSignature decoder_sig;
  Family family = Family::kUnknown;
  int64_t encoder_side = 1024;
  std::string encoder_name, decoder_name;

  Status CheckPair();
};

struct Predictor::Impl {
  std::shared_ptr<const SamModel> model;
  bool has_image = false;
  int64_t orig_h = 0, orig_w = 0;
  Tensor encoder_input;
  std::map<std::string, Tensor> features;
  double preprocess_ms = 0, encoder_ms = 0;

  std::array<float, 2> ToDecoderFrame(float x, float y) const;
};

// The encoder must produce what the decoder consumes, with the same shapes, and the family
// (detected or forced) must fit both.
Status SamModel::Impl::CheckPair() {
  const auto& enc_in = encoder->inputs();
  const auto& enc_out = encoder->outputs();
  if (enc_in.size() != 1 || enc_in[0].dims.size() != 4)
    return Status::UserF("{}: not a SAM image encoder: expected one 1x3xSxS image input", encoder_name);
  const auto& d = enc_in[0].dims;
  if (!d[2].known() || !d[3].known() || d[2].value != d[3].value)
    return Status::UserF("{}: image input must be a fixed square 1x3xSxS, got {}", encoder_name,
                         enc_in[0].shape_str());
  encoder_side = d[3].value;
  bool sam2_encoder = find(enc_out, "image_embed") && find(enc_out, "high_res_feats_0") &&
                      find(enc_out, "high_res_feats_1");
  bool sam1_encoder = find(enc_out, "image_embeddings") != nullptr;
  if ((decoder_sig.kind == DecoderKind::kSam2) != sam2_encoder || (!sam1_encoder && !sam2_encoder))
    return Status::UserF("encoder {} and decoder {} do not belong together: the encoder gives {}, "
                         "the decoder takes {}", encoder_name, decoder_name,
                         sam2_encoder ? "image_embed + high_res_feats" : sam1_encoder ? "image_embeddings" : "neither",
                         decoder_sig.kind == DecoderKind::kSam2 ? "image_embed + high_res_feats" : "image_embeddings");
  // Shapes must agree where both sides know them.
  for (const auto& out : enc_out) {
    const ir::ValueInfo* in = find(decoder->inputs(), out.name);
    if (!in || !in->has_shape || !out.has_shape || in->dims.size() != out.dims.size()) continue;
    for (size_t i = 0; i < in->dims.size(); ++i)
      if (in->dims[i].known() && out.dims[i].known() && in->dims[i].value != out.dims[i].value)
        return Status::UserF("encoder {} and decoder {} do not belong together: '{}' is {} from the "
                             "encoder but the decoder expects {}", encoder_name, decoder_name, out.name,
                             out.shape_str(), in->shape_str());
  }
  if (family == Family::kSam2 && !sam2_encoder)
    return Status::UserF("--family sam2 does not fit {}: a SAM 2 encoder outputs image_embed and high_res_feats_0/1", encoder_name);
  if (family != Family::kSam2 && family != Family::kUnknown && sam2_encoder)
    return Status::UserF("--family {} does not fit {}: it is a SAM 2 encoder", family_name(family), encoder_name);
  if ((family == Family::kSam || family == Family::kMobileSam || family == Family::kSam2) && encoder_side != 1024)
    return Status::UserF("--family {} does not fit {}: it expects a 1024x1024 image input, the model takes {}x{}",
                         family_name(family), encoder_name, encoder_side, encoder_side);
  return Status::Ok();
}

// Prompt coordinates in the frame the decoder expects (see sam/preprocess.h TransformPoint).
std::array<float, 2> Predictor::Impl::ToDecoderFrame(float x, float y) const {
  auto [dx, dy] = TransformPoint(x, y, orig_h, orig_w, model->family());
  return {dx, dy};
}

SamModel::SamModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SamModel::~SamModel() = default;
Family SamModel::family() const { return impl_->family; }
int64_t SamModel::encoder_side() const { return impl_->encoder_side; }
const rt::Session& SamModel::encoder() const { return *impl_->encoder; }
const rt::Session& SamModel::decoder() const { return *impl_->decoder; }

Predictor::Predictor(std::shared_ptr<const SamModel> model) : impl_(std::make_unique<Impl>()) {
  impl_->model = std::move(model);
}
Predictor::~Predictor() = default;
Family Predictor::family() const { return impl_->model->family(); }
bool Predictor::has_image() const { return impl_->has_image; }
int64_t Predictor::image_height() const { return impl_->orig_h; }
int64_t Predictor::image_width() const { return impl_->orig_w; }
double Predictor::preprocess_ms() const { return impl_->preprocess_ms; }
double Predictor::encoder_ms() const { return impl_->encoder_ms; }
const Tensor& Predictor::encoder_input() const { return impl_->encoder_input; }
const std::map<std::string, Tensor>& Predictor::features() const { return impl_->features; }

Result<std::shared_ptr<const SamModel>> SamModel::Load(const std::filesystem::path& encoder,
                                                       const std::filesystem::path& decoder,
                                                       const PredictorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->encoder_name = encoder.string();
  impl->decoder_name = decoder.string();
  SAMQ_ASSIGN_OR_RETURN(impl->encoder, load_session(encoder, options.threads, options.precision));
  SAMQ_ASSIGN_OR_RETURN(impl->decoder, load_session(decoder, options.threads, rt::ComputePrecision::kFloat32,
                                                    DropFullResolutionMasks));
  SAMQ_ASSIGN_OR_RETURN(impl->decoder_sig, InspectDecoder(impl->decoder->inputs(), impl->decoder_name));
  if (options.family) {
    impl->family = *options.family;
  } else {
    FamilyGuess g = DetectFamily(impl->encoder->model().graph);
    if (g.role != Role::kEncoder || g.family == Family::kUnknown)
      return Status::UserF("{}: cannot tell which SAM family this encoder is; pass --family",
                           impl->encoder_name);
    impl->family = g.family;
  }
  SAMQ_RETURN_IF_ERROR(impl->CheckPair());
  return std::shared_ptr<const SamModel>(new SamModel(std::move(impl)));
}

Result<std::unique_ptr<Predictor>> Predictor::Create(const std::filesystem::path& encoder,
                                                     const std::filesystem::path& decoder,
                                                     const PredictorOptions& options) {
  SAMQ_ASSIGN_OR_RETURN(auto model, SamModel::Load(encoder, decoder, options));
  return std::make_unique<Predictor>(std::move(model));
}

Status Predictor::SetImage(const io::Image& image) {
  Impl& m = *impl_;
  const SamModel::Impl& model = *m.model->impl_;
  auto t0 = std::chrono::steady_clock::now();
  SAMQ_ASSIGN_OR_RETURN(Preprocessed pre, PreprocessImage(image, model.family, model.encoder_side));
  m.preprocess_ms = ms_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  const std::string& input_name = model.encoder->inputs()[0].name;
  SAMQ_ASSIGN_OR_RETURN(m.features, model.encoder->Run({{input_name, pre.image}}));
  m.encoder_ms = ms_since(t1);
  m.encoder_input = pre.image;
  m.orig_h = image.height;
  m.orig_w = image.width;
  m.has_image = true;
  return Status::Ok();
}

Status Predictor::SetImageFeatures(const io::Image& image, std::map<std::string, Tensor> features) {
  Impl& m = *impl_;
  const SamModel::Impl& model = *m.model->impl_;
  m.has_image = false;
  for (const auto& out : model.encoder->outputs()) {
    auto it = features.find(out.name);
    if (it == features.end()) return Status::UserF("encoder output '{}' was not given", out.name);
    const Tensor& t = it->second;
    if (t.dtype() != DType::kFloat32)
      return Status::UserF("encoder output '{}' is {}, expected float32", out.name, dtype_name(t.dtype()));
    bool fits = !out.has_shape || out.dims.size() == t.shape().size();
    for (size_t i = 0; fits && out.has_shape && i < out.dims.size(); ++i)
      fits = !out.dims[i].known() || out.dims[i].value == t.shape()[i];
    if (!fits)
      return Status::UserF("encoder output '{}' is {} but the encoder declares {}", out.name, shape_str(t.shape()),
                           out.shape_str());
  }
  if (features.size() != model.encoder->outputs().size())
    return Status::UserF("{} encoder outputs given, the encoder has {}", features.size(), model.encoder->outputs().size());
  auto t0 = std::chrono::steady_clock::now();
  SAMQ_ASSIGN_OR_RETURN(Preprocessed pre, PreprocessImage(image, model.family, model.encoder_side));
  m.preprocess_ms = ms_since(t0);
  m.encoder_ms = 0;
  m.features = std::move(features);
  m.encoder_input = pre.image;
  m.orig_h = image.height;
  m.orig_w = image.width;
  m.has_image = true;
  return Status::Ok();
}

Result<Prediction> Predictor::Predict(const Prompt& prompt) {
  Impl& m = *impl_;
  const SamModel::Impl& model = *m.model->impl_;
  if (!m.has_image) return Status::User("Predict() called before SetImage()");
  SAMQ_RETURN_IF_ERROR(ValidatePrompt(prompt, m.orig_h, m.orig_w));
  DecoderPrompt base;
  for (const auto& p : prompt.points) {
    base.points.push_back(m.ToDecoderFrame(p.x, p.y));
    base.labels.push_back(static_cast<float>(p.label));
  }
  base.mask_input = prompt.mask_input;
  // One decoder call per box (or one call without a box).
  std::vector<DecoderPrompt> calls;
  if (prompt.boxes.empty()) {
    calls.push_back(base);
  } else {
    for (const auto& b : prompt.boxes) {
      DecoderPrompt c = base;
      auto p0 = m.ToDecoderFrame(b.x0, b.y0), p1 = m.ToDecoderFrame(b.x1, b.y1);
      c.box = std::array<float, 4>{p0[0], p0[1], p1[0], p1[1]};
      calls.push_back(std::move(c));
    }
  }
  Prediction pred;
  std::vector<Tensor> low_res_planes;
  for (const auto& call : calls) {
    auto t0 = std::chrono::steady_clock::now();
    SAMQ_ASSIGN_OR_RETURN(DecoderResult r, RunDecoder(*model.decoder, model.decoder_sig, m.features, call, m.orig_h, m.orig_w));
    pred.decoder_ms += ms_since(t0);
    auto t1 = std::chrono::steady_clock::now();
    for (int64_t k : SelectOutputs(r, prompt.multimask)) {
      PredictedMask pm;
      pm.score = r.iou[k];
      pm.token = r.tokens[k];
      pm.low_res = plane(r.low_res, k);
      if (r.full_res) {
        // The decoder already upsampled to the original size (official SAM-1 export).
        pm.mask = ThresholdPlane(r.full_res->data<float>() + k * m.orig_h * m.orig_w, m.orig_h, m.orig_w);
      } else {
        SAMQ_ASSIGN_OR_RETURN(auto post, PostprocessMasks(pm.low_res, model.family,
                                                          GeometryForFamily(model.family, m.orig_h, m.orig_w)));
        pm.mask = std::move(post.masks[0]);
      }
      low_res_planes.push_back(pm.low_res);
      pred.masks.push_back(std::move(pm));
    }
    pred.postprocess_ms += ms_since(t1);
  }
  const int64_t k = static_cast<int64_t>(low_res_planes.size());
  pred.low_res_logits = Tensor::Zeros(DType::kFloat32, {1, k, 256, 256});
  for (int64_t i = 0; i < k; ++i)
    std::memcpy(pred.low_res_logits.data<float>() + i * 256 * 256, low_res_planes[i].data<float>(), 256 * 256 * 4);
  return pred;
}

}  // namespace samq::sam
