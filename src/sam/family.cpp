#include "sam/family.h"

#include <map>

namespace samq::sam {

std::string_view family_name(Family f) {
  switch (f) {
    case Family::kSam: return "sam";
    case Family::kMobileSam: return "mobilesam";
    case Family::kEfficientVitSam: return "efficientvit-sam";
    case Family::kSam2: return "sam2";
    case Family::kUnknown: break;
  }
  return "unknown";
}

std::optional<Family> family_from_name(std::string_view name) {
  if (name == "sam") return Family::kSam;
  if (name == "mobilesam") return Family::kMobileSam;
  if (name == "efficientvit-sam") return Family::kEfficientVitSam;
  if (name == "sam2") return Family::kSam2;
  return std::nullopt;
}

std::string_view role_name(Role r) {
  switch (r) {
    case Role::kEncoder: return "encoder";
    case Role::kDecoder: return "decoder";
    case Role::kUnknown: break;
  }
  return "unknown";
}

namespace {
bool has_value(const std::vector<ir::ValueInfo>& vs, std::string_view name) {
  for (const auto& v : vs)
    if (v.name == name) return true;
  return false;
}
}  // namespace

FamilyGuess DetectFamily(const ir::Graph& g) {
  FamilyGuess out;
  // Decoders: the official SAM-1 ONNX export takes image_embeddings + orig_im_size; samexporter's
  // SAM 2 decoder takes image_embed + high_res_feats_*.
  if (has_value(g.inputs, "image_embed") && has_value(g.inputs, "high_res_feats_0")) {
    return {Family::kSam2, Role::kDecoder, "inputs image_embed + high_res_feats_0 (samexporter SAM 2 decoder)"};
  }
  if (has_value(g.inputs, "image_embeddings") && has_value(g.inputs, "point_coords")) {
    return {Family::kSam, Role::kDecoder,
            has_value(g.inputs, "orig_im_size") ? "inputs image_embeddings + point_coords + orig_im_size (SAM-1 decoder)"
                                                : "inputs image_embeddings + point_coords, no orig_im_size (SAM-1 decoder)"};
  }
  if (has_value(g.outputs, "high_res_feats_0") && has_value(g.outputs, "image_embed")) {
    return {Family::kSam2, Role::kEncoder, "outputs high_res_feats_0/1 + image_embed (SAM 2 encoder)"};
  }
  if (g.inputs.empty() || g.outputs.size() != 1) return out;
  const auto& in = g.inputs[0];
  int64_t side = in.dims.size() == 4 && in.dims[3].known() ? in.dims[3].value : -1;
  std::map<std::string, int> ops;
  for (const auto& n : g.nodes) ops[n.op_type]++;
  out.role = Role::kEncoder;
  // EfficientViT-SAM L runs at 512; its LiteMLA attention is ReLU-linear (no Softmax).
  if (side == 512 || (ops["Softmax"] == 0 && ops["Relu"] > 0)) {
    out.family = Family::kEfficientVitSam;
    out.reason = side == 512 ? "512x512 image input (EfficientViT-SAM L)" : "ReLU linear attention, no Softmax";
    return out;
  }
  // SAM ViT: 16x16 stride-16 patch embedding conv; TinyViT (MobileSAM) starts with 3x3 stride-2.
  // A quantized model run by samq has its Conv folded to com.samq QConv (same attributes).
  for (const auto& n : g.nodes) {
    if (n.op_type != "Conv" && n.op_type != "QConv") continue;
    auto k = n.attr_ints("kernel_shape");
    if (k.empty() && n.op_type == "Conv" && n.num_inputs() > 1) {  // optional attribute: weight dims
      auto w = g.initializers.find(n.inputs[1]);
      if (w != g.initializers.end() && w->second.rank() == 4) k = {w->second.dim(2), w->second.dim(3)};
    }
    if (k.size() == 2 && k[0] == 16 && k[1] == 16) {
      out.family = Family::kSam;
      out.reason = "16x16 patch-embedding conv (SAM ViT)";
    } else {
      out.family = Family::kMobileSam;
      out.reason = "convolutional stem (TinyViT, MobileSAM)";
    }
    return out;
  }
  out.role = Role::kUnknown;
  return out;
}

}  // namespace samq::sam
