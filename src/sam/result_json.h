// `result.json` of `samq segment` (docs/CLI.md):
//   {"image", "image_size": [h, w], "family",
//    "masks": [{"file", "score", "area", "bbox": [x, y, w, h], "rle": {"size": [h, w], "counts"}}],
//    "timings_ms": {"encoder", "decoder", ...}}
// plus optional extras that never rename those: "model": {"encoder", "decoder"}, "prompt",
// "low_res_logits", "overlay", "threads", "samq_version", and per mask "token" and
// "stability_score". Keys keep this order in the file (ordered_json) so it reads top-down.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "sam/overlay.h"
#include "sam/postprocess.h"
#include "sam/rle.h"

namespace samq::sam {

struct MaskResult {
  std::string file;  // e.g. "mask_0.png", relative to the output folder
  float score = 0.f;  // the decoder's predicted IoU for this mask
  int64_t area = 0;
  std::array<int64_t, 4> bbox{};  // x, y, w, h (pycocotools toBbox)
  Rle rle;
  // Extras (written only when set).
  int64_t token = -1;  // decoder output token the mask came from; -1 = not recorded
  std::optional<float> stability_score;
};

// Encodes the mask and fills area/bbox/rle from it.
MaskResult MakeMaskResult(const BinaryMask& mask, std::string file, float score);

struct PromptRecord {
  OverlayPrompts prompts;  // points (x, y), labels, boxes (x0, y0, x1, y1), original pixels
  bool multimask = false;
  std::string mask_input;  // --mask-input file, empty if none
};

// The record of a parsed prompt; `mask_input_file` names the --mask-input file ("" if none).
PromptRecord MakePromptRecord(const Prompt& prompt, std::string mask_input_file = "");

struct SegmentResult {
  std::string image;  // the image path as given
  int64_t height = 0, width = 0;
  std::string family;  // family_name(...)
  std::vector<MaskResult> masks;
  std::vector<std::pair<std::string, double>> timings_ms;  // "encoder", "decoder", ... in order
  // Extras (written only when set / non-empty).
  std::string encoder_model, decoder_model;
  std::optional<PromptRecord> prompt;
  std::string low_res_logits;  // e.g. "low_res_logits.npy"
  std::string overlay;         // e.g. "overlay.png"
  int threads = 0;
  std::string samq_version;
};

nlohmann::ordered_json ResultToJson(const SegmentResult& r);
std::string ResultToJsonText(const SegmentResult& r);  // 2-space indent, trailing newline
Status WriteResultJson(const std::filesystem::path& path, const SegmentResult& r);  // atomic

// Reads a result.json back (the contract fields and the extras above); user error naming the
// field for anything missing or mistyped. Used by tests and by tools that consume results.
Result<SegmentResult> ParseResultJson(std::string_view text);

}  // namespace samq::sam
