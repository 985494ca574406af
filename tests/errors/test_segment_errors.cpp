// `samq segment`: a real run writes every file of the contract; bad input (images, prompts,
// model pairs, families) exits with code 2, names the problem, and writes nothing.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/image.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

class SegmentCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("samq_segment_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    out_ = dir_ / "out";
    fix_ = testing::FixturesDir();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> Base(const std::string& family_dir = "sam-vit-mini",
                                const std::string& decoder = "sam1-decoder/decoder.onnx",
                                const std::string& image = "") {
    return {"segment", "--encoder", (fix_ / family_dir / "encoder.onnx").string(), "--decoder",
            (fix_ / decoder).string(), "--image", image.empty() ? (fix_ / "images/truck.jpg").string() : image,
            "--out-dir", out_.string()};
  }
  void ExpectFails(std::vector<std::string> args, const std::string& must_mention) {
    auto r = testing::RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos) << "should mention '" << must_mention << "': " << r.err;
    bool wrote = fs::exists(out_) && !fs::is_empty(out_);
    EXPECT_FALSE(wrote) << "files were written despite the error";
  }
  void Write(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
  }
  static std::vector<std::string> Plus(std::vector<std::string> a, std::vector<std::string> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  fs::path dir_, out_, fix_;
};

TEST_F(SegmentCli, WritesEveryContractFile) {
  SAMQ_REQUIRE_FIXTURES();
  auto r = testing::RunCli(Plus(Base("mobilesam"), {"--box", "425,600,700,875", "--threads", "2"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"mask_0.png", "low_res_logits.npy", "overlay.png", "result.json"})
    EXPECT_TRUE(fs::exists(out_ / f)) << f;
  std::ifstream jf(out_ / "result.json");
  auto j = nlohmann::json::parse(jf);
  EXPECT_EQ(j["family"], "mobilesam");
  EXPECT_EQ(j["image_size"], nlohmann::json::array({1200, 1800}));
  ASSERT_EQ(j["masks"].size(), 1u);
  EXPECT_EQ(j["masks"][0]["file"], "mask_0.png");
  EXPECT_TRUE(j["masks"][0]["rle"]["counts"].is_string());
  EXPECT_TRUE(j["timings_ms"].contains("encoder") && j["timings_ms"].contains("decoder"));
  // The written mask is the official predictor's mask for this box.
  auto ours = io::ReadImage(out_ / "mask_0.png");
  auto official = io::ReadImage(fix_ / "mobilesam/cases/box_mask0.png");
  ASSERT_TRUE(ours.ok() && official.ok());
  int64_t inter = 0, uni = 0;
  for (size_t i = 0; i < ours->rgb.size(); i += 3) {
    inter += ours->rgb[i] && official->rgb[i];
    uni += ours->rgb[i] || official->rgb[i];
  }
  EXPECT_GE(static_cast<double>(inter) / std::max<int64_t>(uni, 1), 0.99);
}

TEST_F(SegmentCli, MultimaskWritesThreeMasks) {
  SAMQ_REQUIRE_FIXTURES();
  auto r = testing::RunCli(Plus(Base(), {"--point", "500,375", "--multimask"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int k = 0; k < 3; ++k) EXPECT_TRUE(fs::exists(out_ / ("mask_" + std::to_string(k) + ".png")));
}

TEST_F(SegmentCli, PromptJsonAndSeveralBoxes) {
  SAMQ_REQUIRE_FIXTURES();
  Write(dir_ / "prompt.json",
        R"([{"type":"rectangle","data":[425,600,700,875]},{"type":"rectangle","data":[100,100,400,500]},)"
        R"({"type":"point","data":[575,750],"label":0}])");
  auto r = testing::RunCli(Plus(Base(), {"--prompt", (dir_ / "prompt.json").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out_ / "mask_0.png"));
  EXPECT_TRUE(fs::exists(out_ / "mask_1.png"));  // one mask per box
}

TEST_F(SegmentCli, MissingImage) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base("sam-vit-mini", "sam1-decoder/decoder.onnx", (dir_ / "nope.jpg").string()), {"--point", "5,5"}), "nope.jpg");
}

TEST_F(SegmentCli, ZeroSizeImage) {
  SAMQ_REQUIRE_FIXTURES();
  Write(dir_ / "empty.jpg", "");
  ExpectFails(Plus(Base("sam-vit-mini", "sam1-decoder/decoder.onnx", (dir_ / "empty.jpg").string()), {"--point", "5,5"}), "empty.jpg");
}

TEST_F(SegmentCli, CorruptImage) {
  SAMQ_REQUIRE_FIXTURES();
  std::ifstream f(fix_ / "images/dog.jpg", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  Write(dir_ / "cut.jpg", bytes.substr(0, 600));
  ExpectFails(Plus(Base("sam-vit-mini", "sam1-decoder/decoder.onnx", (dir_ / "cut.jpg").string()), {"--point", "5,5"}), "cut.jpg");
}

TEST_F(SegmentCli, DecompressionBomb) {
  SAMQ_REQUIRE_FIXTURES();
  // A valid PNG signature and IHDR claiming 100000 x 100000 pixels (10 gigapixels).
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr = "IHDR";
  auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  ihdr += be32(100000) + be32(100000) + std::string("\x08\x02\x00\x00\x00", 5);
  png += be32(13) + ihdr + be32(static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(ihdr.data()), ihdr.size())));
  Write(dir_ / "bomb.png", png);
  ExpectFails(Plus(Base("sam-vit-mini", "sam1-decoder/decoder.onnx", (dir_ / "bomb.png").string()), {"--point", "5,5"}), "bomb.png");
}

TEST_F(SegmentCli, PointOutsideImage) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--point", "5000,10"}), "outside");
}

TEST_F(SegmentCli, BoxWithX1BeforeX0) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--box", "700,600,425,875"}), "x0 <= x1");
}

TEST_F(SegmentCli, NoPrompt) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Base(), "no prompt");
}

TEST_F(SegmentCli, LabelOutsideZeroOne) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--point", "500,375,2"}), "label");
}

TEST_F(SegmentCli, MalformedPoint) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--point", "500;375"}), "500;375");
}

TEST_F(SegmentCli, EncoderAndDecoderDoNotBelongTogether) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base("sam2-mini", "sam1-decoder/decoder.onnx"), {"--point", "500,375"}), "do not belong together");
}

TEST_F(SegmentCli, ForcedFamilyDoesNotFit) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--point", "500,375", "--family", "sam2"}), "--family sam2");
}

TEST_F(SegmentCli, UnknownFamilyName) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--point", "500,375", "--family", "sam3"}), "sam3");
}

TEST_F(SegmentCli, BadMaskInput) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(Plus(Base(), {"--mask-input", (fix_ / "mobilesam/cases/point1_iou.npy").string()}), "1x1x256x256");
}

}  // namespace
}  // namespace samq
