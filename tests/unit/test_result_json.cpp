// result.json: the contract fields of docs/CLI.md with their names, order and types, the extras,
// a write/parse round trip, and parse errors that name the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "sam/result_json.h"

namespace samq::sam {
namespace {

BinaryMask SmallMask() {
  BinaryMask m;
  m.height = 4;
  m.width = 6;
  m.pixels.assign(24, 0);
  for (int64_t y = 1; y < 3; ++y)
    for (int64_t x = 2; x < 5; ++x) m.pixels[y * 6 + x] = 255;
  return m;
}

SegmentResult Sample(bool extras) {
  SegmentResult r;
  r.image = "images/truck.jpg";
  r.height = 4;
  r.width = 6;
  r.family = "sam";
  r.masks.push_back(MakeMaskResult(SmallMask(), "mask_0.png", 0.875f));
  r.timings_ms = {{"encoder", 12.5}, {"decoder", 3.25}, {"postprocess", 0.5}};
  if (extras) {
    r.encoder_model = "enc.onnx";
    r.decoder_model = "dec.onnx";
    PromptRecord p;
    p.prompts.points = {{2.5f, 1.f}};
    p.prompts.labels = {1};
    p.prompts.boxes = {{1.f, 1.f, 5.f, 3.f}};
    p.multimask = true;
    p.mask_input = "prev.npy";
    r.prompt = p;
    r.low_res_logits = "low_res_logits.npy";
    r.overlay = "overlay.png";
    r.threads = 8;
    r.samq_version = "0.1.0";
    r.masks[0].token = 1;
    r.masks[0].stability_score = 0.5f;
  }
  return r;
}

TEST(ResultJson, ContractFields) {
  const auto j = ResultToJson(Sample(false));
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"image", "image_size", "family", "masks", "timings_ms"}));
  EXPECT_EQ(j["image"], "images/truck.jpg");
  EXPECT_EQ(j["image_size"], nlohmann::ordered_json({4, 6}));
  EXPECT_EQ(j["family"], "sam");
  ASSERT_EQ(j["masks"].size(), 1u);
  const auto& m = j["masks"][0];
  EXPECT_EQ(m["file"], "mask_0.png");
  EXPECT_DOUBLE_EQ(m["score"].get<double>(), 0.875);
  EXPECT_EQ(m["area"], 6);
  EXPECT_EQ(m["bbox"], nlohmann::ordered_json({2, 1, 3, 2}));
  EXPECT_EQ(m["rle"]["size"], nlohmann::ordered_json({4, 6}));
  // Column-major: 2 columns of zeros + 1 -> 9 zeros, then (2 ones, 2 zeros) x 3, then 2 cols + 3.
  EXPECT_EQ(m["rle"]["counts"], RleCountsToString({9, 2, 2, 2, 2, 2, 5}));
  EXPECT_FALSE(m.contains("token"));
  EXPECT_EQ(j["timings_ms"]["encoder"], 12.5);
  EXPECT_EQ(j["timings_ms"].begin().key(), "encoder");
}

TEST(ResultJson, RoundTripWithExtras) {
  const SegmentResult r = Sample(true);
  const std::string text = ResultToJsonText(r);
  ASSERT_EQ(text.back(), '\n');
  auto back = ParseResultJson(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->image, r.image);
  EXPECT_EQ(back->height, 4);
  EXPECT_EQ(back->width, 6);
  ASSERT_EQ(back->masks.size(), 1u);
  EXPECT_EQ(back->masks[0].rle.counts, r.masks[0].rle.counts);
  EXPECT_EQ(back->masks[0].bbox, r.masks[0].bbox);
  EXPECT_EQ(back->masks[0].area, 6);
  EXPECT_EQ(back->masks[0].token, 1);
  EXPECT_FLOAT_EQ(*back->masks[0].stability_score, 0.5f);
  EXPECT_EQ(back->timings_ms, r.timings_ms);
  EXPECT_EQ(back->encoder_model, "enc.onnx");
  EXPECT_EQ(back->decoder_model, "dec.onnx");
  ASSERT_TRUE(back->prompt.has_value());
  EXPECT_EQ(back->prompt->prompts.points, r.prompt->prompts.points);
  EXPECT_EQ(back->prompt->prompts.labels, r.prompt->prompts.labels);
  EXPECT_EQ(back->prompt->prompts.boxes, r.prompt->prompts.boxes);
  EXPECT_TRUE(back->prompt->multimask);
  EXPECT_EQ(back->prompt->mask_input, "prev.npy");
  EXPECT_EQ(back->low_res_logits, "low_res_logits.npy");
  EXPECT_EQ(back->overlay, "overlay.png");
  EXPECT_EQ(back->threads, 8);
  EXPECT_EQ(back->samq_version, "0.1.0");
  // The decoded RLE is the mask.
  const auto px = DecodeRle(back->masks[0].rle);
  EXPECT_EQ(px, SmallMask().pixels);
}

TEST(ResultJson, WritesAtomically) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("samq_result_" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteResultJson(dir / "result.json", Sample(true)).ok());
  auto text = io::ReadFile(dir / "result.json");
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(ParseResultJson(*text).ok());
  std::filesystem::remove_all(dir);
}

TEST(ResultJson, ParseErrorsNameTheField) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = ParseResultJson(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  expect_error("{", "not valid JSON");
  expect_error("[]", "top level");
  expect_error(R"({"image": "a"})", "image_size");
  expect_error(R"({"image": "a", "image_size": [1], "family": "sam", "masks": [],
                   "timings_ms": {}})",
               "image_size");
  expect_error(R"({"image": "a", "image_size": [2, 2], "family": "sam",
                   "masks": [{"file": "m", "score": 1, "area": 0, "bbox": [0, 0, 0, 0],
                              "rle": {"size": [2, 2], "counts": "5"}}], "timings_ms": {}})",
               "masks[0]: rle");  // counts cover 5 pixels, the size has 4
  expect_error(R"({"image": "a", "image_size": [2, 2], "family": "sam",
                   "masks": [{"file": "m", "score": "high"}], "timings_ms": {}})",
               "score");
}

}  // namespace
}  // namespace samq::sam
