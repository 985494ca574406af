// Decoder adapters: how each exported decoder contract takes prompts and gives masks.
//
//  * SAM-1 (official SamOnnxModel / samexporter): inputs image_embeddings, point_coords [1,N,2],
//    point_labels [1,N], mask_input, has_mask_input and, usually, orig_im_size. Prompts live in
//    the 1024 frame of the longest-side resize. Clicks come first; a box adds its two corners
//    labelled 2 and 3; without a box a padding point (0,0) labelled -1 is appended (as the
//    official ONNX example does). Multimask exports return 4 tokens: the official predictor
//    returns tokens 1-3 for multimask and token 0 otherwise. With orig_im_size the decoder's
//    `masks` are already at the original size; without it samq upsamples `low_res_masks`.
//  * SAM 2 (samexporter): inputs image_embed, high_res_feats_0/1, point_coords, point_labels,
//    mask_input, has_mask_input; prompts in x/w*1024, y/h*1024; box corners (2, 3) come before
//    the clicks and the decoder appends its own padding point. It returns tokens 1-3 only
//    (low-res, clamped to +-32). SAM 2's single-mask rule — token 0 unless its stability score
//    is below 0.98, then the best of tokens 1-3 — cannot be reproduced because token 0 is not
//    exported: samq returns the best-IoU of tokens 1-3, which is what the official predictor
//    returns whenever token 0 is unstable (true for every fixture prompt).
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"
#include "runtime/session.h"
#include "sam/family.h"

namespace samq::sam {

enum class DecoderKind { kSam1, kSam2 };

struct DecoderPrompt {
  std::vector<std::array<float, 2>> points;  // already in the decoder's coordinate frame
  std::vector<float> labels;
  std::optional<std::array<float, 4>> box;   // in the decoder's frame
  std::optional<Tensor> mask_input;          // 1x1x256x256
};

struct DecoderResult {
  Tensor low_res;            // 1xKx256x256 logits, all tokens the export returns
  std::vector<float> iou;    // K scores
  std::optional<Tensor> full_res;  // 1xKxHxW at the original size, when the decoder makes it
  std::vector<int64_t> tokens;     // token id of each of the K outputs
};

struct DecoderSignature {
  DecoderKind kind = DecoderKind::kSam1;
  bool has_orig_im_size = false;
  std::string embedding_input;  // "image_embeddings" or "image_embed"
};

// Recognizes the contract from the decoder's inputs; user error if it is neither.
Result<DecoderSignature> InspectDecoder(const std::vector<ir::ValueInfo>& inputs, const std::string& name);

Result<DecoderResult> RunDecoder(const rt::Session& decoder, const DecoderSignature& sig,
                                 const std::map<std::string, Tensor>& features,
                                 const DecoderPrompt& prompt, int64_t orig_h, int64_t orig_w);

// Indices into DecoderResult's K outputs that the official predictor returns.
std::vector<int64_t> SelectOutputs(const DecoderResult& r, bool multimask);

}  // namespace samq::sam
