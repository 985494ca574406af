#include "eval/compare.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>

#include "io/image.h"
#include "io/npy.h"
#include "onnx.pb.h"
#include "onnx/external_data.h"
#include "sam/predictor.h"
#include "sam/rle.h"

namespace samq::eval {
namespace fs = std::filesystem;

namespace {

Status RequireFile(const std::string& path, const char* flag) {
  std::error_code ec;
  if (path.empty()) return Status::UserF("{} is required", flag);
  if (!fs::exists(path, ec)) return Status::UserF("{} {}: no such file", flag, path);
  if (!fs::is_regular_file(path, ec)) return Status::UserF("{} {}: not a file", flag, path);
  return Status::Ok();
}

// The prompts an image gets, in order: the compared set, then (with annotations and a non-GT
// set) the GT prompts that only feed the ground-truth scores.
struct PromptPlan {
  std::string kind;  // grid | gt | file
  std::vector<EvalPrompt> file_prompts;
  std::optional<CocoDataset> dataset;
};

Result<PromptPlan> MakePromptPlan(const CompareOptions& o) {
  PromptPlan plan;
  if (!o.annotations.empty()) {
    SAMQ_RETURN_IF_ERROR(RequireFile(o.annotations, "--annotations"));
    SAMQ_ASSIGN_OR_RETURN(plan.dataset, LoadCocoDataset(o.annotations));
  }
  const std::string p = o.prompts.empty() ? "auto" : o.prompts;
  if (p == "auto") {
    plan.kind = plan.dataset ? "gt" : "grid";
  } else if (p == "grid" || p == "gt") {
    plan.kind = p;
  } else {
    SAMQ_RETURN_IF_ERROR(RequireFile(p, "--prompts"));
    SAMQ_ASSIGN_OR_RETURN(plan.file_prompts, LoadPromptFile(p));
    plan.kind = "file";
  }
  if (plan.kind == "gt" && !plan.dataset) return Status::User("--prompts gt needs --annotations COCO.json");
  if (plan.kind == "grid" && (o.grid < 1 || o.grid > 64)) return Status::UserF("--grid {}: expected 1..64", o.grid);
  return plan;
}

// Every feature tensor of the encoder, by name, as one flat float vector (SAM 2 has three).
Result<std::vector<float>> FlatFeatures(const sam::Predictor& p) {
  std::vector<float> out;
  for (const auto& [name, t] : p.features()) {
    if (t.dtype() != DType::kFloat32) return Status::UserF("encoder output '{}' is not float32", name);
    auto v = t.values<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

Status CheckSameFeatures(const sam::Predictor& ref, const sam::Predictor& cand) {
  const auto& a = ref.features();
  const auto& b = cand.features();
  for (const auto& [name, t] : a) {
    auto it = b.find(name);
    if (it == b.end()) return Status::UserF("the candidate encoder has no output '{}' (the reference has)", name);
    if (it->second.shape() != t.shape())
      return Status::UserF("encoder output '{}' differs in shape: reference {} vs candidate {}", name,
                           shape_str(t.shape()), shape_str(it->second.shape()));
  }
  if (a.size() != b.size()) return Status::User("the encoders have different outputs");
  return Status::Ok();
}

// The features another runtime computed for one image: DIR/<stem>/<output>.npy per encoder output.
Result<std::map<std::string, Tensor>> ReadExternalFeatures(const rt::Session& encoder, const std::string& dir,
                                                           const std::string& stem, const char* flag) {
  std::map<std::string, Tensor> out;
  for (const auto& o : encoder.outputs()) {
    const fs::path p = fs::path(dir) / stem / (o.name + ".npy");
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
      return Status::UserF("{} {}: {} is missing (encoder output '{}' of image {})", flag, dir, p.string(), o.name, stem);
    auto t = io::ReadNpy(p);
    if (!t.ok()) return Status::UserF("{} {}: {}", flag, dir, t.status().message());
    out[o.name] = std::move(*t);
  }
  return out;
}

// Encodes the image on one side: in samq, or from the other runtime's saved outputs.
Status SetSide(sam::Predictor& p, const io::Image& image, const rt::Session& encoder, const std::string& outputs_dir,
               const std::string& stem, const char* flag) {
  if (outputs_dir.empty()) return p.SetImage(image);
  SAMQ_ASSIGN_OR_RETURN(auto features, ReadExternalFeatures(encoder, outputs_dir, stem, flag));
  Status s = p.SetImageFeatures(image, std::move(features));
  if (!s.ok()) return Status::UserF("{} {}: image {}: {}", flag, outputs_dir, stem, s.message());
  return s;
}

double MinOf(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

}  // namespace

Result<int64_t> ModelSizeBytes(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return Status::UserF("{}: cannot read its size", path);
  std::ifstream in(path, std::ios::binary);
  onnxpb::ModelProto proto;
  if (!in || !proto.ParseFromIstream(&in)) return Status::UserF("{}: not an ONNX model", path);
  std::set<std::string> locations;
  for (const auto& tp : proto.graph().initializer()) {
    if (tp.data_location() != onnxpb::TensorProto::EXTERNAL) continue;
    SAMQ_ASSIGN_OR_RETURN(auto ref, onnx::ParseExternalRef(tp, tp.name()));
    locations.insert(ref.location);
  }
  int64_t total = static_cast<int64_t>(size);
  const fs::path dir = fs::path(path).parent_path();
  for (const auto& loc : locations) {
    const auto s = fs::file_size(dir / loc, ec);
    if (ec) return Status::UserF("{}: external data file {} is missing", path, loc);
    total += static_cast<int64_t>(s);
  }
  return total;
}

Result<std::vector<std::string>> ListImages(const std::string& dir) {
  std::error_code ec;
  if (dir.empty()) return Status::User("--images is required");
  if (!fs::is_directory(dir, ec)) return Status::UserF("--images {}: not a folder", dir);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") files.push_back(e.path().filename().string());
  }
  if (ec) return Status::UserF("--images {}: cannot list it ({})", dir, ec.message());
  if (files.empty()) return Status::UserF("--images {}: no .jpg, .jpeg or .png images in it", dir);
  std::sort(files.begin(), files.end());
  return files;
}

Result<CompareResult> RunComparison(const CompareOptions& o) {
  // Everything the user typed is checked before a model is loaded.
  std::string reference_path = o.reference, candidate_path = o.candidate;
  if (reference_path.empty() && !o.reference_outputs_dir.empty()) reference_path = candidate_path;
  if (candidate_path.empty() && !o.candidate_outputs_dir.empty()) candidate_path = reference_path;
  SAMQ_RETURN_IF_ERROR(RequireFile(reference_path, "--reference"));
  SAMQ_RETURN_IF_ERROR(RequireFile(candidate_path, "--candidate"));
  for (const auto& [dir, flag] : {std::pair{o.reference_outputs_dir, "--reference-outputs"},
                                  std::pair{o.candidate_outputs_dir, "--candidate-outputs"}}) {
    std::error_code ec;
    if (!dir.empty() && !fs::is_directory(dir, ec)) return Status::UserF("{} {}: not a folder", flag, dir);
  }
  if (!o.save_inputs_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.save_inputs_dir, ec);
    if (ec || !fs::is_directory(o.save_inputs_dir))
      return Status::UserF("--save-inputs {}: cannot create the folder ({})", o.save_inputs_dir, ec.message());
  }
  SAMQ_RETURN_IF_ERROR(RequireFile(o.decoder, "--decoder"));
  if (!o.candidate_decoder.empty()) SAMQ_RETURN_IF_ERROR(RequireFile(o.candidate_decoder, "--candidate-decoder"));
  if (o.threads < 0) return Status::UserF("--threads {}: must be >= 0", o.threads);
  if (o.max_images < 0) return Status::UserF("--max-images {}: must be >= 0", o.max_images);
  SAMQ_ASSIGN_OR_RETURN(PromptPlan plan, MakePromptPlan(o));
  SAMQ_ASSIGN_OR_RETURN(std::vector<std::string> files, ListImages(o.images_dir));
  if (plan.dataset) {  // only images the annotations know can be scored against them
    std::vector<std::string> known;
    for (const auto& f : files)
      if (plan.dataset->FindImageByFile(f)) known.push_back(f);
    if (known.empty()) return Status::UserF("--images {}: none of its images is in {}", o.images_dir, o.annotations);
    files = std::move(known);
  }
  if (o.max_images > 0 && files.size() > static_cast<size_t>(o.max_images)) files.resize(o.max_images);
  // Saved inputs and external outputs are named by image stem: two images may not share one.
  std::map<std::string, std::string> stems;
  for (const auto& f : files) {
    auto [it, fresh] = stems.emplace(fs::path(f).stem().string(), f);
    if (!fresh && (!o.save_inputs_dir.empty() || !o.reference_outputs_dir.empty() || !o.candidate_outputs_dir.empty()))
      return Status::UserF("--images {}: {} and {} share the name {} (saved inputs/outputs are named by it)",
                           o.images_dir, it->second, f, it->first);
  }

  sam::PredictorOptions po;
  po.threads = o.threads;
  if (o.family != "auto") {
    auto f = sam::family_from_name(o.family);
    if (!f) return Status::UserF("--family '{}': expected auto, sam, mobilesam, efficientvit-sam or sam2", o.family);
    po.family = *f;
  }
  CompareResult r;
  SAMQ_ASSIGN_OR_RETURN(r.reference_bytes, ModelSizeBytes(reference_path));
  SAMQ_ASSIGN_OR_RETURN(r.candidate_bytes, ModelSizeBytes(candidate_path));
  SAMQ_ASSIGN_OR_RETURN(auto ref_model, sam::SamModel::Load(reference_path, o.decoder, po));
  const std::string cand_decoder = o.candidate_decoder.empty() ? o.decoder : o.candidate_decoder;
  std::shared_ptr<const sam::SamModel> cand_model = ref_model;  // one compiled copy when both are the same
  if (candidate_path != reference_path || cand_decoder != o.decoder) {
    SAMQ_ASSIGN_OR_RETURN(cand_model, sam::SamModel::Load(candidate_path, cand_decoder, po));
  }
  r.reference_external = !o.reference_outputs_dir.empty();
  r.candidate_external = !o.candidate_outputs_dir.empty();
  if (ref_model->family() != cand_model->family())
    return Status::UserF("the reference is a {} model but the candidate is {}", sam::family_name(ref_model->family()),
                         sam::family_name(cand_model->family()));
  sam::Predictor ref(ref_model), cand(cand_model);
  r.family = std::string(sam::family_name(ref_model->family()));
  r.prompts = plan.kind;
  r.threads = o.threads;

  std::vector<double> all_iou, cosines, sqnrs, ref_ms, cand_ms;
  // Per GT prompt kind: detections of each model, and the per-instance IoUs.
  std::map<std::string, std::vector<CocoDetection>> ref_dets, cand_dets;
  std::map<std::string, std::vector<double>> ref_gt_ious, cand_gt_ious;
  CocoDataset evaluated;  // the ground truth of the images actually run
  if (plan.dataset) evaluated.category_ids = plan.dataset->category_ids;

  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = (fs::path(o.images_dir) / files[i]).string();
    SAMQ_ASSIGN_OR_RETURN(io::Image image, io::ReadImage(path));
    ImageResult ir;
    ir.file = files[i];
    ir.height = image.height;
    ir.width = image.width;
    const CocoImage* coco = plan.dataset ? plan.dataset->FindImageByFile(files[i]) : nullptr;
    if (coco && (coco->height != image.height || coco->width != image.width))
      return Status::UserF("{}: the image is {}x{} but {} says {}x{}", path, image.height, image.width,
                           o.annotations, coco->height, coco->width);
    std::vector<PromptResult> prompts;
    auto add = [&](const std::vector<EvalPrompt>& ps, bool compared) {
      for (const auto& p : ps) {
        PromptResult pr;
        pr.prompt = p;
        pr.compared = compared;
        prompts.push_back(std::move(pr));
      }
    };
    if (plan.kind == "grid") add(GridPrompts(image.height, image.width, o.grid), true);
    if (plan.kind == "file") add(plan.file_prompts, true);
    if (coco) add(GroundTruthPrompts(*plan.dataset, *coco), plan.kind == "gt");
    for (size_t k = 0; k < prompts.size(); ++k) {
      Status s = sam::ValidatePrompt(prompts[k].prompt.prompt, image.height, image.width);
      if (!s.ok()) return Status::UserF("{}: prompt {}: {}", path, k, s.message());
    }
    if (coco) {
      evaluated.images.push_back(*coco);
      for (const auto& a : plan.dataset->annotations)
        if (a.image_id == coco->id) evaluated.annotations.push_back(a);
    }

    const std::string stem = fs::path(files[i]).stem().string();
    SAMQ_RETURN_IF_ERROR(SetSide(ref, image, ref_model->encoder(), o.reference_outputs_dir, stem, "--reference-outputs"));
    SAMQ_RETURN_IF_ERROR(SetSide(cand, image, cand_model->encoder(), o.candidate_outputs_dir, stem, "--candidate-outputs"));
    if (!o.save_inputs_dir.empty())
      SAMQ_RETURN_IF_ERROR(io::WriteNpy(fs::path(o.save_inputs_dir) / (stem + ".npy"), cand.encoder_input()));
    ir.reference_encoder_ms = ref.encoder_ms();
    ir.candidate_encoder_ms = cand.encoder_ms();
    SAMQ_RETURN_IF_ERROR(CheckSameFeatures(ref, cand));
    SAMQ_ASSIGN_OR_RETURN(auto ref_feat, FlatFeatures(ref));
    SAMQ_ASSIGN_OR_RETURN(auto cand_feat, FlatFeatures(cand));
    ir.embedding = CompareArrays(ref_feat, cand_feat);

    std::vector<double> image_iou;
    for (auto& pr : prompts) {
      SAMQ_ASSIGN_OR_RETURN(sam::Prediction a, ref.Predict(pr.prompt.prompt));
      SAMQ_ASSIGN_OR_RETURN(sam::Prediction b, cand.Predict(pr.prompt.prompt));
      if (a.masks.empty() || a.masks.size() != b.masks.size())
        return Status::InternalF("{}: the models returned {} and {} masks", path, a.masks.size(), b.masks.size());
      // Several boxes give several masks: the prompt's IoU is their mean.
      double sum = 0;
      for (size_t m = 0; m < a.masks.size(); ++m) sum += MaskIoU(a.masks[m].mask.pixels, b.masks[m].mask.pixels);
      pr.iou = sum / static_cast<double>(a.masks.size());
      pr.reference_score = a.masks[0].score;
      pr.candidate_score = b.masks[0].score;
      if (pr.compared) image_iou.push_back(pr.iou);
      if (pr.prompt.annotation_id >= 0) {
        const CocoAnnotation* gt = nullptr;
        for (const auto& ann : plan.dataset->annotations)
          if (ann.id == pr.prompt.annotation_id) gt = &ann;
        const auto gt_mask = sam::DecodeRle(gt->rle, 255);
        pr.reference_gt_iou = MaskIoU(a.masks[0].mask.pixels, gt_mask);
        pr.candidate_gt_iou = MaskIoU(b.masks[0].mask.pixels, gt_mask);
        ref_gt_ious[pr.prompt.kind].push_back(*pr.reference_gt_iou);
        cand_gt_ious[pr.prompt.kind].push_back(*pr.candidate_gt_iou);
        auto det = [&](const sam::PredictedMask& m) {
          return CocoDetection{coco->id, gt->category_id, m.score,
                               sam::EncodeRle(m.mask.pixels.data(), m.mask.height, m.mask.width)};
        };
        ref_dets[pr.prompt.kind].push_back(det(a.masks[0]));
        cand_dets[pr.prompt.kind].push_back(det(b.masks[0]));
      }
    }
    ir.prompts = std::move(prompts);
    ir.miou = Mean(image_iou);
    ir.min_iou = MinOf(image_iou);
    all_iou.insert(all_iou.end(), image_iou.begin(), image_iou.end());
    cosines.push_back(ir.embedding.cosine);
    sqnrs.push_back(ir.embedding.sqnr_db);
    ref_ms.push_back(ir.reference_encoder_ms);
    cand_ms.push_back(ir.candidate_encoder_ms);
    r.images.push_back(std::move(ir));
    if (o.progress) o.progress(static_cast<int>(i + 1), static_cast<int>(files.size()), files[i]);
  }

  r.prompt_count = static_cast<int64_t>(all_iou.size());
  r.miou = Mean(all_iou);
  r.min_iou = MinOf(all_iou);
  r.embedding_cosine_mean = Mean(cosines);
  r.embedding_cosine_min = MinOf(cosines);
  r.embedding_sqnr_db_mean = Mean(sqnrs);  // any +inf image makes the mean +inf: identical there
  r.embedding_sqnr_db_min = MinOf(sqnrs);
  r.reference_encoder_ms_median = Median(ref_ms);
  r.candidate_encoder_ms_median = Median(cand_ms);
  for (auto* side : {&ref_dets, &cand_dets}) {
    const bool is_ref = side == &ref_dets;
    for (const auto& [kind, dets] : *side) {
      GroundTruthScore g;
      const auto& ious = is_ref ? ref_gt_ious[kind] : cand_gt_ious[kind];
      g.instances = static_cast<int64_t>(ious.size());
      g.miou = Mean(ious);
      g.ap = EvaluateMaskAp(evaluated, dets);
      (is_ref ? r.reference_gt : r.candidate_gt)[kind] = g;
    }
  }
  return r;
}

}  // namespace samq::eval
