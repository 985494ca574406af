// Model comparison: how much a candidate encoder (e.g. a quantized one) changes SAM's masks and
// embeddings relative to a reference encoder, on real images, in one run.
//
// For every image both encoders see the same preprocessed input; their embeddings are compared
// (cosine, SQNR), and every prompt is decoded from both (same decoder unless a candidate decoder is
// given) into single masks whose IoU is recorded. Encoder latencies of both models are measured
// in the same run, alternating per image, with the same thread count. With COCO annotations the
// masks of ground-truth prompts are also scored against ground truth (mIoU, mask AP).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "eval/mask_ap.h"
#include "eval/metrics.h"
#include "eval/prompt_sets.h"

namespace samq::eval {

struct CompareOptions {
  std::string reference, candidate, decoder, candidate_decoder;  // ONNX files
  std::string images_dir;
  std::string prompts = "auto";  // auto (gt with annotations, else grid) | grid | gt | FILE.json
  std::string annotations;       // COCO instances JSON (optional)
  int grid = 4;
  int threads = 0;
  int max_images = 0;  // 0 = all
  std::string family = "auto";
  // Deployment check: a side whose outputs folder is set does not run its encoder in samq; its
  // features are read from DIR/<image stem>/<encoder output>.npy, computed by another runtime
  // (ONNX Runtime, TensorRT) from the inputs `save_inputs_dir` wrote: DIR/<image stem>.npy, the
  // family's preprocessed 1x3xSxS encoder input. The model path of an external side may be left
  // empty: it then shares the other side's model (its encoder signature, family and decoder).
  std::string save_inputs_dir, reference_outputs_dir, candidate_outputs_dir;
  // Called after each image (done, total, file name); e.g. a progress line.
  std::function<void(int, int, const std::string&)> progress;
};

struct PromptResult {
  EvalPrompt prompt;
  bool compared = true;  // false: a GT prompt run only for the ground-truth scores
  double iou = 0;        // candidate vs reference mask
  float reference_score = 0, candidate_score = 0;
  std::optional<double> reference_gt_iou, candidate_gt_iou;
};

struct ImageResult {
  std::string file;
  int64_t height = 0, width = 0;
  Similarity embedding;
  double reference_encoder_ms = 0, candidate_encoder_ms = 0;
  std::vector<PromptResult> prompts;
  double miou = 0, min_iou = 0;  // over compared prompts
};

// Ground-truth scores of one model for one prompt kind (gt-box or gt-point).
struct GroundTruthScore {
  int64_t instances = 0;
  double miou = 0;
  MaskApResult ap;
};

struct CompareResult {
  std::string family, prompts;
  int threads = 0;
  bool reference_external = false, candidate_external = false;  // features read from a folder
  std::vector<ImageResult> images;
  int64_t prompt_count = 0;
  double miou = 0, min_iou = 0;
  double embedding_cosine_mean = 0, embedding_cosine_min = 0;
  double embedding_sqnr_db_mean = 0, embedding_sqnr_db_min = 0;  // +inf when identical
  int64_t reference_bytes = 0, candidate_bytes = 0;  // ONNX file + its external data files
  double reference_encoder_ms_median = 0, candidate_encoder_ms_median = 0;
  // kind ("gt-box", "gt-point") -> scores; empty without annotations.
  std::map<std::string, GroundTruthScore> reference_gt, candidate_gt;
};

Result<CompareResult> RunComparison(const CompareOptions& options);

// The size of a model on disk: the .onnx file plus every external data file it references.
Result<int64_t> ModelSizeBytes(const std::string& onnx_path);
// JPEG/PNG files of a folder, sorted by name; user error when it is missing or has none.
Result<std::vector<std::string>> ListImages(const std::string& dir);

}  // namespace samq::eval
