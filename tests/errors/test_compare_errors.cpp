// `samq compare`: bad input exits with code 2, names the problem in one line, and writes no report.
// Every case fails before any image is encoded (file checks, prompt/annotation parsing, the
// encoder/decoder pairing), so these runs are quick.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

class CompareCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("samq_compare_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fix_ = testing::FixturesDir();
    report_ = dir_ / "report.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Fx(const std::string& rel) const { return (fix_ / rel).string(); }
  std::vector<std::string> Base(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"compare", "--reference", Fx("sam-vit-mini/encoder.onnx"), "--candidate",
                                  Fx("sam-vit-mini/encoder.onnx"), "--decoder", Fx("sam1-decoder/decoder.onnx"),
                                  "--images", Fx("images"), "--report", report_.string(), "--max-images", "1"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Replaces the value of `flag` in Base().
  std::vector<std::string> With(const std::string& flag, const std::string& value) const {
    auto a = Base();
    for (size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == flag) a[i + 1] = value;
    return a;
  }
  void ExpectFails(const std::vector<std::string>& args, const std::string& must_mention) {
    auto r = testing::RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos) << "should mention '" << must_mention << "': " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_FALSE(fs::exists(report_)) << "a report was written despite the error";
  }
  void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  fs::path dir_, fix_, report_;
};

TEST_F(CompareCli, MissingModels) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectFails(With("--reference", (dir_ / "nope.onnx").string()), "nope.onnx: no such file");
  ExpectFails(With("--candidate", (dir_ / "nope2.onnx").string()), "nope2.onnx: no such file");
  ExpectFails(With("--decoder", (dir_ / "nope3.onnx").string()), "nope3.onnx: no such file");
  ExpectFails(Base({"--candidate-decoder", (dir_ / "nope4.onnx").string()}), "nope4.onnx");
  Write(dir_ / "garbage.onnx", "this is not a protobuf");
  ExpectFails(With("--candidate", (dir_ / "garbage.onnx").string()), "garbage.onnx");
}

TEST_F(CompareCli, ImagesFolderEmptyMissingOrWithoutImages) {
  SAMQ_REQUIRE_FIXTURES();
  fs::create_directories(dir_ / "empty");
  ExpectFails(With("--images", (dir_ / "empty").string()), "no .jpg, .jpeg or .png images");
  fs::create_directories(dir_ / "texts");
  Write(dir_ / "texts" / "notes.txt", "hello");
  ExpectFails(With("--images", (dir_ / "texts").string()), "no .jpg, .jpeg or .png images");
  ExpectFails(With("--images", (dir_ / "missing").string()), "not a folder");
  // A file named .jpg that is not an image.
  fs::create_directories(dir_ / "broken");
  Write(dir_ / "broken" / "a.jpg", "not a jpeg");
  ExpectFails(With("--images", (dir_ / "broken").string()), "a.jpg");
}

TEST_F(CompareCli, EncoderDecoderMismatch) {
  SAMQ_REQUIRE_FIXTURES();
  // A SAM 2 encoder with the SAM-1 decoder, and the decoder given as the encoder.
  ExpectFails(With("--candidate", Fx("sam2-mini/encoder.onnx")), "do not belong together");
  ExpectFails(With("--reference", Fx("sam1-decoder/decoder.onnx")), "cannot tell which SAM family this encoder is");
}

TEST_F(CompareCli, BadPrompts) {
  SAMQ_REQUIRE_FIXTURES();
  Write(dir_ / "bad.json", "{not json");
  ExpectFails(Base({"--prompts", (dir_ / "bad.json").string()}), "not valid JSON");
  Write(dir_ / "circle.json", R"([{"type": "circle", "data": [1, 2]}])");
  ExpectFails(Base({"--prompts", (dir_ / "circle.json").string()}), "circle");
  Write(dir_ / "far.json", R"([{"type": "point", "data": [100000, 5]}])");
  ExpectFails(Base({"--prompts", (dir_ / "far.json").string()}), "prompt 0");
  ExpectFails(Base({"--prompts", (dir_ / "absent.json").string()}), "absent.json: no such file");
  ExpectFails(Base({"--prompts", "gt"}), "--prompts gt needs --annotations");
  ExpectFails(Base({"--grid", "0"}), "--grid 0");
  Write(dir_ / "ann.json", R"({"images": "x"})");
  ExpectFails(Base({"--annotations", (dir_ / "ann.json").string()}), "not a COCO annotation file");
  // Valid annotations that know none of the images.
  ExpectFails(Base({"--annotations", (testing::DataDir() / "coco-tiny/annotations/instances_val2017.json").string()}),
              "none of its images");
}

TEST_F(CompareCli, UnwritableReportPath) {
  SAMQ_REQUIRE_FIXTURES();
  report_ = dir_ / "no_such_folder" / "report.json";
  ExpectFails(Base(), "does not exist");
  report_ = dir_;  // a folder
  auto r = testing::RunCli(Base());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is a folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace samq
