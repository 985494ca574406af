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

}  // namespace samq
