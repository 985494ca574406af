// samq — run Segment Anything models from ONNX files, with no Python.
//
// The C++ API in one header. A Model is an encoder + decoder pair, loaded and checked once and
// immutable afterwards; a Predictor holds one image's embedding and answers many prompts. No
// exceptions cross this API: every call returns a samq::Status or samq::Result<T>, whose
// exit_code() is 2 for bad input (a file, image or prompt) and 1 for an internal error.
//
// Complete example (examples/segment_example.cpp, built and run by the tests; a test also checks
// that this comment and that file stay identical):
//
// // Segment an object with samq's C++ API: load a model pair once, set an image, ask with prompts.
// // Usage: segment_example ENCODER.onnx DECODER.onnx IMAGE.jpg
// #include <samq/samq.h>
//
// #include <cstdio>
//
// int main(int argc, char** argv) {
//   if (argc != 4) {
//     std::fprintf(stderr, "usage: %s ENCODER.onnx DECODER.onnx IMAGE\n", argv[0]);
//     return 2;
//   }
//   // 1. Load and check the encoder/decoder pair (the family is detected from the graphs).
//   samq::ModelOptions options;
//   options.threads = 2;
//   auto model = samq::Model::Load(argv[1], argv[2], options);
//   if (!model.ok()) {
//     std::fprintf(stderr, "%s\n", model.status().message().c_str());
//     return model.status().exit_code();
//   }
//   // 2. Encode the image once.
//   samq::Predictor predictor(*model);
//   auto image = samq::LoadImage(argv[3]);
//   if (!image.ok()) return std::fprintf(stderr, "%s\n", image.status().message().c_str()), 2;
//   if (auto s = predictor.SetImage(*image); !s.ok()) {
//     std::fprintf(stderr, "%s\n", s.message().c_str());
//     return s.exit_code();
//   }
//   // 3. Ask as often as you like: a foreground click, then a box.
//   samq::Prompt click;
//   click.points.push_back({500.f, 375.f, 1});
//   click.multimask = true;
//   auto masks = predictor.Predict(click);
//   if (!masks.ok()) return std::fprintf(stderr, "%s\n", masks.status().message().c_str()), 2;
//   for (const samq::Mask& m : masks->masks)
//     std::printf("click: mask %dx%d score %.3f area %lld\n", static_cast<int>(m.width),
//                 static_cast<int>(m.height), m.score, static_cast<long long>(m.area));
//
//   samq::Prompt box;
//   box.boxes.push_back({425.f, 600.f, 700.f, 875.f});
//   auto boxed = predictor.Predict(box);
//   if (!boxed.ok()) return std::fprintf(stderr, "%s\n", boxed.status().message().c_str()), 2;
//   std::printf("box: score %.3f area %lld rle %.20s...\n", boxed->masks[0].score,
//               static_cast<long long>(boxed->masks[0].area), boxed->masks[0].rle_counts.c_str());
//   return 0;
// }
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"  // samq::Status, samq::Result<T>

namespace samq {

namespace sam {
class SamModel;
class Predictor;
}  // namespace sam

// An 8-bit RGB image, row-major (height x width x 3).
struct Image {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> rgb;
};

// Reads a JPEG or PNG (EXIF orientation applied; gray/RGBA/palette converted to RGB).
Result<Image> LoadImage(const std::string& path);

// Prompt coordinates are pixels of the original image, x then y.
struct Point {
  float x = 0, y = 0;
  int label = 1;  // 1 = foreground, 0 = background
};
struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};
struct Prompt {
  std::vector<Point> points;
  std::vector<Box> boxes;                       // several boxes: one mask (set) per box
  std::optional<std::vector<float>> mask_input;  // 256*256 low-res logits of an earlier call
  bool multimask = false;                        // the model's 3 candidates instead of 1
};

struct Mask {
  int64_t height = 0, width = 0;  // the original image's size
  std::vector<uint8_t> pixels;    // 255 inside, 0 outside, row-major
  float score = 0;                // the decoder's predicted IoU
  int64_t area = 0;
  std::array<int64_t, 4> bbox{};  // x, y, w, h
  std::string rle_counts;         // COCO RLE (column-major), compressed string form
  std::vector<float> low_res_logits;  // 256*256: feed back as Prompt::mask_input
};

struct Masks {
  std::vector<Mask> masks;
  double decoder_ms = 0;
};

struct ModelOptions {
  std::string family = "auto";  // auto | sam | mobilesam | efficientvit-sam | sam2
  int threads = 0;              // 0 = all cores
  // fp32 | bf16: bf16 runs the encoder's MatMuls with bfloat16 operands and float32
  // accumulation (faster where the CPU has AVX512-BF16/AMX; masks differ slightly).
  std::string precision = "fp32";
};

class Model {
 public:
  static Result<std::shared_ptr<const Model>> Load(const std::string& encoder_onnx,
                                                   const std::string& decoder_onnx,
                                                   const ModelOptions& options = {});
  std::string family() const;  // "sam", "mobilesam", "efficientvit-sam" or "sam2"
  ~Model();

 private:
  friend class Predictor;
  explicit Model(std::shared_ptr<const sam::SamModel> impl);
  std::shared_ptr<const sam::SamModel> impl_;
};

class Predictor {
 public:
  explicit Predictor(std::shared_ptr<const Model> model);
  ~Predictor();
  Predictor(Predictor&&) noexcept;
  Predictor& operator=(Predictor&&) noexcept;

  // Preprocesses the image as the family's official predictor does and runs the encoder.
  Status SetImage(const Image& image);
  // Masks for one prompt, at the original image size.
  Result<Masks> Predict(const Prompt& prompt);
  double encoder_ms() const;

 private:
  std::unique_ptr<sam::Predictor> impl_;
};

// How much a candidate encoder (e.g. a quantized one) changes masks and embeddings relative to a
// reference encoder on a folder of images — `samq compare` as a call.
struct CompareOptions {
  std::string reference_encoder, candidate_encoder, decoder;
  std::string candidate_decoder;  // empty = `decoder` for both
  std::string images_dir;
  std::string prompts = "auto";   // auto | grid | gt | samexporter prompt JSON file
  std::string annotations;        // COCO instances JSON: also score both against ground truth
  int grid = 4;                   // grid prompts per side
  int threads = 0;                // 0 = all cores
  int max_images = 0;             // 0 = all
  std::string family = "auto";
};
struct CompareSummary {
  int64_t images = 0, prompts = 0;
  double miou = 0, min_iou = 0;  // candidate vs reference masks
  double embedding_cosine_mean = 0, embedding_sqnr_db_mean = 0;  // SQNR +inf when identical
  int64_t reference_bytes = 0, candidate_bytes = 0;  // with external data
  double reference_encoder_ms = 0, candidate_encoder_ms = 0;  // medians, same run and threads
  // With annotations, box prompts from the GT boxes (-1 otherwise): mIoU and mask AP@[.5:.95].
  double reference_gt_miou = -1, candidate_gt_miou = -1, reference_gt_ap = -1, candidate_gt_ap = -1;
  std::string report_json;  // everything, per image and prompt, as `samq compare --report` writes it
};
Result<CompareSummary> compare(const CompareOptions& options);

// Post-training quantization into standard QDQ ONNX (the C++ side of `samq quantize`; the
// fields mirror its flags, see docs/CLI.md). Calibration images are preprocessed as the model's
// family does; a SAM decoder is calibrated through `encoder`.
struct QuantizeOptions {
  std::string model, out;                   // IN.onnx, OUT.onnx
  std::string mode = "int8";                // int8 | fp8 (w4a8 / w4a16: not supported yet)
  std::string calib_dir;                    // images, or:
  bool random_calib = false;                // seeded random calibration data
  uint64_t seed = 0;
  std::vector<std::string> calib_ext = {"jpg", "jpeg", "png"};
  int64_t calib_size = 32;
  std::string calib_method = "max";         // max | entropy | percentile | mse
  double percentile = 99.99;
  std::vector<std::string> op_types = {"MatMul", "Conv", "Gemm"};
  std::vector<std::string> exclude;         // regexes on node names
  bool quantize_attention = false;          // MatMuls of two activations too
  bool per_channel = true;
  std::string weights = "qdq";              // qdq | dq
  std::string activation_type = "u8";       // u8 (asymmetric) | s8 (symmetric)
  std::string family = "auto";
  std::string encoder;                      // needed for a SAM decoder
  std::string report;                       // JSON report path (optional)
  int threads = 0;
};

struct QuantizeResult {
  int64_t quantized_nodes = 0, excluded_nodes = 0;
  std::vector<std::string> warnings;
  std::string summary;  // the few lines `samq quantize` prints
};

Result<QuantizeResult> quantize(const QuantizeOptions& options);

}  // namespace samq
