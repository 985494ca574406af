// Segment an object with samq's C++ API: load a model pair once, set an image, ask with prompts.
// Usage: segment_example ENCODER.onnx DECODER.onnx IMAGE.jpg
#include <samq/samq.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ENCODER.onnx DECODER.onnx IMAGE\n", argv[0]);
    return 2;
  }
  // 1. Load and check the encoder/decoder pair (the family is detected from the graphs).
  samq::ModelOptions options;
  options.threads = 2;
  auto model = samq::Model::Load(argv[1], argv[2], options);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return model.status().exit_code();
  }
  // 2. Encode the image once.
  samq::Predictor predictor(*model);
  auto image = samq::LoadImage(argv[3]);
  if (!image.ok()) return std::fprintf(stderr, "%s\n", image.status().message().c_str()), 2;
  if (auto s = predictor.SetImage(*image); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return s.exit_code();
  }
  // 3. Ask as often as you like: a foreground click, then a box.
  samq::Prompt click;
  click.points.push_back({500.f, 375.f, 1});
  click.multimask = true;
  auto masks = predictor.Predict(click);
  if (!masks.ok()) return std::fprintf(stderr, "%s\n", masks.status().message().c_str()), 2;
  for (const samq::Mask& m : masks->masks)
    std::printf("click: mask %dx%d score %.3f area %lld\n", static_cast<int>(m.width),
                static_cast<int>(m.height), m.score, static_cast<long long>(m.area));

  samq::Prompt box;
  box.boxes.push_back({425.f, 600.f, 700.f, 875.f});
  auto boxed = predictor.Predict(box);
  if (!boxed.ok()) return std::fprintf(stderr, "%s\n", boxed.status().message().c_str()), 2;
  std::printf("box: score %.3f area %lld rle %.20s...\n", boxed->masks[0].score,
              static_cast<long long>(boxed->masks[0].area), boxed->masks[0].rle_counts.c_str());
  return 0;
}
