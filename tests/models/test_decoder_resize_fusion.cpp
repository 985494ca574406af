// The official SAM-1 decoder's Resize -> Slice -> Slice -> Resize tail becomes one com.samq
// ResizeCropResize (passes/fuse_resize_crop.h), and its full-resolution masks are bit-identical to
// the unfused graph's and within the fixtures' tolerance of the stored PyTorch outputs — for each
// family's stored decoder call (orig_im_size 300x450) and for the benchmark's 1200x1800.
#include <gtest/gtest.h>

#include <map>

#include "backends/registry.h"
#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/fixtures.h"

namespace samq::testing {
namespace {

namespace fs = std::filesystem;

Tensor Load(const fs::path& p) {
  auto t = io::ReadNpy(p);
  EXPECT_TRUE(t.ok()) << p << ": " << t.status().message();
  return t.ok() ? *t : Tensor();
}

struct DecoderRun {
  std::map<std::string, Tensor> out;
  std::map<std::string, std::string> kernel_of_op;  // op_type -> a kernel chosen for it
};

DecoderRun RunDecoder(const std::map<std::string, Tensor>& feeds, bool fuse) {
  DecoderRun r;
  auto imported = onnx::LoadModel(FixturesDir() / "sam1-decoder/decoder.onnx");
  EXPECT_TRUE(imported.ok()) << imported.status().message();
  if (!imported.ok()) return r;
  rt::SessionOptions o;
  o.threads = 2;
  o.fuse_resize_crop = fuse;
  auto s = rt::Session::Create(std::move(imported->model), backends::DefaultRegistry(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return r;
  for (const auto& k : (*s)->kernel_choices()) r.kernel_of_op[k.op_type] = k.kernel;
  auto out = (*s)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (out.ok()) r.out = std::move(*out);
  return r;
}

std::map<std::string, Tensor> Feeds(const std::string& family) {
  const fs::path cases = FixturesDir() / family / "cases";
  std::map<std::string, Tensor> feeds{{"image_embeddings", Load(cases / "image_embeddings.npy")}};
  for (const char* in : {"point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"})
    feeds[in] = Load(cases / (std::string("decoder_in_") + in + ".npy"));
  return feeds;
}

TEST(DecoderResizeFusion, FusedMasksEqualUnfusedAndMatchFixtures) {
  SAMQ_REQUIRE_FIXTURES();
  SAMQ_REQUIRE_PATH(FixturesDir() / "sam1-decoder/decoder.onnx");
  for (const char* family : {"sam-vit-mini", "mobilesam", "efficientvit-sam-mini"}) {
    SCOPED_TRACE(family);
    const auto feeds = Feeds(family);
    const DecoderRun fused = RunDecoder(feeds, true);
    const DecoderRun plain = RunDecoder(feeds, false);
    ASSERT_TRUE(fused.out.count("masks") && plain.out.count("masks"));
    EXPECT_EQ(fused.kernel_of_op.at("ResizeCropResize"), "cpu.resize_crop_resize_f32");
    EXPECT_EQ(fused.kernel_of_op.count("Resize"), 0u) << "a Resize was left unfused";
    EXPECT_EQ(plain.kernel_of_op.count("ResizeCropResize"), 0u);
    // The upscaler's and the mask downscaler's LayerNorm2d (passes/fuse_layer_norm_2d).
    EXPECT_EQ(fused.kernel_of_op.at("LayerNorm2d"), "fast.LayerNorm2d");
    EXPECT_EQ(fused.kernel_of_op.count("ReduceMean"), 0u) << "a LayerNorm2d was left unfused";
    EXPECT_EQ(CountDiffering(plain.out.at("masks"), fused.out.at("masks")), 0);
    // Fixture tolerance (fixtures/README.md): max abs <= 1e-4 against the PyTorch outputs.
    const fs::path cases = FixturesDir() / family / "cases";
    for (const char* o : {"masks", "low_res_masks", "iou_predictions"}) {
      const Diff d = CompareTensors(Load(cases / (std::string("decoder_out_") + o + ".npy")), fused.out.at(o));
      EXPECT_TRUE(d.same_shape) << o;
      EXPECT_LE(d.max_abs, 1e-4) << o << ": " << d.str();
    }
  }
}

TEST(DecoderResizeFusion, BenchmarkSizeEqualsUnfused) {
  // The benchmark's call (bench/models/run_all.sh): the truck at its real 1200x1800, where the
  // crop is 683x1024 and four 1200x1800 planes are written.
  SAMQ_REQUIRE_FIXTURES();
  SAMQ_REQUIRE_PATH(FixturesDir() / "sam1-decoder/decoder.onnx");
  auto feeds = Feeds("mobilesam");
  feeds["orig_im_size"] = Tensor::FromVector<float>({2}, {1200.f, 1800.f});
  const DecoderRun fused = RunDecoder(feeds, true);
  const DecoderRun plain = RunDecoder(feeds, false);
  ASSERT_TRUE(fused.out.count("masks") && plain.out.count("masks"));
  EXPECT_EQ(fused.out.at("masks").shape(), (Shape{1, 4, 1200, 1800}));
  EXPECT_EQ(CountDiffering(plain.out.at("masks"), fused.out.at("masks")), 0);
}

}  // namespace
}  // namespace samq::testing
