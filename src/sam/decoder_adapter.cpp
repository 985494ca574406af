#include "sam/decoder_adapter.h"

#include <algorithm>

namespace samq::sam {
namespace {

bool has_input(const std::vector<ir::ValueInfo>& inputs, const std::string& n) {
  for (const auto& v : inputs)
    if (v.name == n) return true;
  return false;
}

}  // namespace

Result<DecoderSignature> InspectDecoder(const std::vector<ir::ValueInfo>& inputs, const std::string& name) {
  DecoderSignature s;
  for (const char* common : {"point_coords", "point_labels", "mask_input", "has_mask_input"})
    if (!has_input(inputs, common))
      return Status::UserF("{}: not a SAM decoder: input '{}' is missing", name, common);
  if (has_input(inputs, "image_embed") && has_input(inputs, "high_res_feats_0") &&
      has_input(inputs, "high_res_feats_1")) {
    s.kind = DecoderKind::kSam2;
    s.embedding_input = "image_embed";
  } else if (has_input(inputs, "image_embeddings")) {
    s.kind = DecoderKind::kSam1;
    s.embedding_input = "image_embeddings";
    s.has_orig_im_size = has_input(inputs, "orig_im_size");
  } else {
    return Status::UserF("{}: not a SAM decoder: no image_embeddings (SAM-1) or image_embed + "
                         "high_res_feats_0/1 (SAM 2) input", name);
  }
  return s;
}

Result<DecoderResult> RunDecoder(const rt::Session& decoder, const DecoderSignature& sig,
                                 const std::map<std::string, Tensor>& features,
                                 const DecoderPrompt& p, int64_t orig_h, int64_t orig_w) {
  std::vector<std::array<float, 2>> coords;
  std::vector<float> labels;
  if (sig.kind == DecoderKind::kSam1) {
    coords = p.points;
    labels = p.labels;
    if (p.box) {
      coords.push_back({(*p.box)[0], (*p.box)[1]});
      coords.push_back({(*p.box)[2], (*p.box)[3]});
      labels.insert(labels.end(), {2.f, 3.f});
    } else {
      coords.push_back({0.f, 0.f});
      labels.push_back(-1.f);
    }
  } else {
    if (p.box) {
      coords.push_back({(*p.box)[0], (*p.box)[1]});
      coords.push_back({(*p.box)[2], (*p.box)[3]});
      labels.insert(labels.end(), {2.f, 3.f});
    }
    coords.insert(coords.end(), p.points.begin(), p.points.end());
    labels.insert(labels.end(), p.labels.begin(), p.labels.end());
  }
  const int64_t n = static_cast<int64_t>(coords.size());
  std::map<std::string, Tensor> feeds;
  Tensor pc = Tensor::Zeros(DType::kFloat32, {1, n, 2});
  Tensor pl = Tensor::Zeros(DType::kFloat32, {1, n});
  for (int64_t i = 0; i < n; ++i) {
    pc.data<float>()[2 * i] = coords[i][0];
    pc.data<float>()[2 * i + 1] = coords[i][1];
    pl.data<float>()[i] = labels[i];
  }
  feeds["point_coords"] = pc;
  feeds["point_labels"] = pl;
  feeds["mask_input"] = p.mask_input ? *p.mask_input : Tensor::Zeros(DType::kFloat32, {1, 1, 256, 256});
  feeds["has_mask_input"] = Tensor::FromVector<float>({1}, {p.mask_input ? 1.f : 0.f});
  if (sig.kind == DecoderKind::kSam1) {
    feeds["image_embeddings"] = features.at("image_embeddings");
    if (sig.has_orig_im_size)
      feeds["orig_im_size"] = Tensor::FromVector<float>({2}, {static_cast<float>(orig_h), static_cast<float>(orig_w)});
  } else {
    for (const char* f : {"image_embed", "high_res_feats_0", "high_res_feats_1"}) feeds[f] = features.at(f);
  }
  SAMQ_ASSIGN_OR_RETURN(auto out, decoder.Run(feeds));

  DecoderResult r;
  auto iou_it = out.find("iou_predictions");
  if (iou_it == out.end()) return Status::User("decoder has no 'iou_predictions' output");
  r.iou.assign(iou_it->second.data<float>(), iou_it->second.data<float>() + iou_it->second.numel());
  auto masks_it = out.find("masks");
  auto low_it = out.find("low_res_masks");
  if (low_it != out.end()) r.low_res = low_it->second;
  else if (masks_it != out.end() && masks_it->second.rank() == 4 && masks_it->second.dim(2) == 256 &&
           masks_it->second.dim(3) == 256)
    r.low_res = masks_it->second;
  else
    return Status::User("decoder gives no 256x256 low-resolution masks ('low_res_masks' or 'masks')");
  if (masks_it != out.end() && masks_it->second.rank() == 4 && masks_it->second.dim(2) == orig_h &&
      masks_it->second.dim(3) == orig_w)
    r.full_res = masks_it->second;
  int64_t k = r.low_res.dim(1);
  if (static_cast<int64_t>(r.iou.size()) != k)
    return Status::UserF("decoder returned {} masks but {} IoU scores", k, r.iou.size());
  // SAM 2 exports tokens 1-3; SAM-1 multimask exports 0-3, single-mask exports token 0.
  for (int64_t i = 0; i < k; ++i)
    r.tokens.push_back(sig.kind == DecoderKind::kSam2 || k == 3 ? i + 1 : i);
  return r;
}

std::vector<int64_t> SelectOutputs(const DecoderResult& r, bool multimask) {
  const int64_t k = static_cast<int64_t>(r.tokens.size());
  std::vector<int64_t> multi, single;
  for (int64_t i = 0; i < k; ++i) {
    if (r.tokens[i] == 0) single.push_back(i);
    else multi.push_back(i);
  }
  if (multimask) return multi.empty() ? single : multi;
  if (!single.empty()) return single;
  // No token 0 (SAM 2 export): the best predicted IoU among tokens 1-3 (see the header).
  int64_t best = *std::max_element(multi.begin(), multi.end(),
                                   [&](int64_t a, int64_t b) { return r.iou[a] < r.iou[b]; });
  return {best};
}

}  // namespace samq::sam
