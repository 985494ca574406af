// `samq compare` against another runtime's encoder outputs (--save-inputs, --reference-outputs,
// --candidate-outputs): the deployment check. ONNX Runtime runs the same FP32 encoder file on the
// inputs samq saved (tests/oracles/ort_encode_dir.py); samq's own run of that file must give the
// same masks, because the FP32 engines agree to ~1e-5 (fixtures/README.md).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "io/image.h"
#include "io/npy.h"
#include "sam/preprocess.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path TempDir(const std::string& tag) {
  const fs::path d = fs::temp_directory_path() / ("samq_cmpx_" + tag + "_" + std::to_string(std::random_device{}()));
  fs::create_directories(d);
  return d;
}

json ReadJson(const fs::path& p) {
  std::ifstream f(p);
  return json::parse(f);
}

TEST(CompareExternal, OnnxRuntimeOutputsOfTheSameFp32FileGiveTheSameMasks) {
  SAMQ_REQUIRE_FIXTURES();
  const fs::path fx = testing::FixturesDir(), coco = testing::DataDir() / "coco-tiny", dir = TempDir("fp32");
  SAMQ_REQUIRE_PATH(coco / "annotations" / "instances_val2017.json");
  const std::string enc = (fx / "sam-vit-mini" / "encoder.onnx").string();
  const std::string dec = (fx / "sam1-decoder" / "decoder.onnx").string();
  const std::vector<std::string> common = {"--decoder", dec, "--images", (coco / "val2017").string(), "--annotations",
                                           (coco / "annotations" / "instances_val2017.json").string(),
                                           "--max-images", "2", "--threads", "2"};
  auto with = [&](std::vector<std::string> a) {
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  // 1. samq alone, saving the encoder inputs.
  auto r1 = testing::RunCli(with({"compare", "--reference", enc, "--candidate", enc, "--save-inputs",
                                  (dir / "inputs").string(), "--report", (dir / "self.json").string()}));
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  const json self = ReadJson(dir / "self.json");
  ASSERT_EQ(self["images"].size(), 2u);
  // The saved input is the family's preprocessing of the image.
  for (const auto& im : self["images"]) {
    const std::string file = im["file"].get<std::string>();
    auto image = io::ReadImage(coco / "val2017" / file);
    ASSERT_TRUE(image.ok());
    auto pre = sam::PreprocessImage(*image, sam::Family::kSam, 1024);
    ASSERT_TRUE(pre.ok());
    auto saved = io::ReadNpy(dir / "inputs" / (fs::path(file).stem().string() + ".npy"));
    ASSERT_TRUE(saved.ok()) << saved.status().message();
    ASSERT_EQ(saved->shape(), pre->image.shape());
    EXPECT_EQ(0, std::memcmp(saved->data<float>(), pre->image.data<float>(), pre->image.numel() * sizeof(float)));
  }
  // 2. ONNX Runtime encodes them.
  auto o = testing::RunProgram("python3", {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/ort_encode_dir.py", enc,
                                           (dir / "inputs").string(), (dir / "ort").string()});
  if (o.exit_code == 3 && !testing::InCi()) GTEST_SKIP() << "onnxruntime/numpy missing: " << o.err;
  ASSERT_EQ(o.exit_code, 0) << o.err;
  // 3. samq's run vs ORT's outputs (no --reference: the candidate's model is the signature).
  auto r2 = testing::RunCli(with({"compare", "--candidate", enc, "--reference-outputs", (dir / "ort").string(),
                                  "--report", (dir / "vs_ort.json").string()}));
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.out.find("encoder outputs read from"), std::string::npos) << r2.out;
  EXPECT_NE(r2.out.find("not run here"), std::string::npos) << r2.out;
  const json rep = ReadJson(dir / "vs_ort.json");
  const json& s = rep["summary"];
  EXPECT_EQ(rep["reference_outputs"], (dir / "ort").string());
  EXPECT_EQ(s["prompts"], self["summary"]["prompts"]);
  EXPECT_GT(s["prompts"].get<int>(), 0);
  EXPECT_GT(s["embedding_cosine_min"].get<double>(), 0.99999);
  // Mask pixels whose logit is within float noise of 0 may flip (fixtures/README.md: IoU >= 0.99).
  EXPECT_GT(s["min_iou"].get<double>(), 0.99);
  EXPECT_EQ(s["reference_encoder_ms_median"].get<double>(), 0.0);  // not run in samq
  // Ground-truth scores come out the same from either side.
  const json& gt = rep["ground_truth"];
  EXPECT_NEAR(gt["reference"]["gt-box"]["miou"].get<double>(), gt["candidate"]["gt-box"]["miou"].get<double>(), 0.01);
  std::printf("sam-vit-mini FP32, samq vs ORT outputs: mIoU %.6f (min %.6f), cosine %.8f\n", s["miou"].get<double>(),
              s["min_iou"].get<double>(), s["embedding_cosine_min"].get<double>());

  // 4. Both sides external: ORT against itself is exactly identical.
  auto r3 = testing::RunCli(with({"compare", "--reference", enc, "--reference-outputs", (dir / "ort").string(),
                                  "--candidate-outputs", (dir / "ort").string(), "--report",
                                  (dir / "ort_ort.json").string()}));
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  EXPECT_EQ(ReadJson(dir / "ort_ort.json")["summary"]["miou"].get<double>(), 1.0);

  // 5. A missing output file is a user error naming it, with no report written.
  fs::remove(dir / "ort" / fs::path(self["images"][1]["file"].get<std::string>()).stem() / "image_embeddings.npy");
  auto r4 = testing::RunCli(with({"compare", "--candidate", enc, "--reference-outputs", (dir / "ort").string(),
                                  "--report", (dir / "bad.json").string()}));
  EXPECT_EQ(r4.exit_code, 2) << r4.err;
  EXPECT_NE(r4.err.find("image_embeddings.npy is missing"), std::string::npos) << r4.err;
  EXPECT_FALSE(fs::exists(dir / "bad.json"));
  fs::remove_all(dir);
}

TEST(CompareExternal, BadOutputFoldersAreUserErrors) {
  SAMQ_REQUIRE_FIXTURES();
  const fs::path fx = testing::FixturesDir(), dir = TempDir("bad");
  const std::string enc = (fx / "sam-vit-mini" / "encoder.onnx").string();
  const std::string dec = (fx / "sam1-decoder" / "decoder.onnx").string();
  const std::string images = (fx / "images").string();
  // Not a folder.
  auto r = testing::RunCli({"compare", "--candidate", enc, "--reference-outputs", (dir / "nope").string(), "--decoder",
                            dec, "--images", images, "--max-images", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--reference-outputs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a folder"), std::string::npos) << r.err;
  // Neither model given.
  r = testing::RunCli({"compare", "--decoder", dec, "--images", images});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--reference or --candidate is required"), std::string::npos) << r.err;
  // A wrongly shaped output: the message says which and what the encoder declares.
  auto image = io::ReadImage(fx / "images" / "dog.jpg");
  ASSERT_TRUE(image.ok());
  fs::create_directories(dir / "out" / "dog");
  ASSERT_TRUE(io::WriteNpy(dir / "out" / "dog" / "image_embeddings.npy", Tensor::Zeros(DType::kFloat32, {1, 256, 32, 32})).ok());
  r = testing::RunCli({"compare", "--candidate", enc, "--reference-outputs", (dir / "out").string(), "--decoder", dec,
                       "--images", images, "--max-images", "1", "--grid", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("1x256x32x32"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace samq
