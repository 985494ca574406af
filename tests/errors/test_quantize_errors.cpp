// Bad input to `samq quantize`: exit code 2, one line naming the problem, no output file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "onnx/export.h"
#include "support/fixtures.h"
#include "support/quant_tiny_model.h"
#include "support/run_cli.h"
#include "support/tiny_models.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;

class QuantizeErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("samq_qerrors_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "empty");
    fs::create_directories(dir_ / "texts");
    std::ofstream(dir_ / "texts" / "readme.txt") << "not an image";
    std::ofstream(dir_ / "texts" / "labels.json") << "{}";
    ASSERT_TRUE(onnx::SaveModel(testing::QuantTinyModel(), dir_ / "tiny.onnx").ok());
    ASSERT_TRUE(onnx::SaveModel(testing::ReluAddModel(), dir_ / "relu_add.onnx").ok());
    out_ = dir_ / "out.onnx";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void ExpectFails(std::vector<std::string> extra, const std::string& must_mention, const fs::path& model = {}) {
    std::vector<std::string> args = {"quantize", "--model", (model.empty() ? dir_ / "tiny.onnx" : model).string()};
    if (std::find(extra.begin(), extra.end(), "--out") == extra.end()) {
      args.push_back("--out");
      args.push_back(out_.string());
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos) << "message should mention '" << must_mention << "': " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one-line message expected: " << r.err;
    EXPECT_FALSE(fs::exists(out_)) << "output written despite the error";
  }

  fs::path dir_, out_;
};

TEST_F(QuantizeErrors, MissingCalibDir) { ExpectFails({"--calib-dir", (dir_ / "nope").string()}, "nope"); }
TEST_F(QuantizeErrors, EmptyCalibDir) { ExpectFails({"--calib-dir", (dir_ / "empty").string()}, "has no"); }
TEST_F(QuantizeErrors, OnlyNonImageFiles) {
  ExpectFails({"--calib-dir", (dir_ / "texts").string()}, "2 other file(s) skipped");
}
TEST_F(QuantizeErrors, CalibSizeZero) {
  ExpectFails({"--calib-dir", (dir_ / "texts").string(), "--calib-size", "0"}, "--calib-size 0");
  ExpectFails({"--random-calib", "--calib-size", "0"}, "--calib-size 0");
}
TEST_F(QuantizeErrors, NoCalibrationSource) { ExpectFails({}, "--random-calib"); }
TEST_F(QuantizeErrors, NothingToQuantize) {
  ExpectFails({"--random-calib"}, "nothing to quantize", dir_ / "relu_add.onnx");
  ExpectFails({"--random-calib", "--exclude", "."}, "nothing to quantize");
}
TEST_F(QuantizeErrors, BadExcludeRegex) { ExpectFails({"--random-calib", "--exclude", "fc(["}, "fc(["); }
TEST_F(QuantizeErrors, UnknownOpType) { ExpectFails({"--random-calib", "--op-types", "MatMul,Relu"}, "Relu"); }
TEST_F(QuantizeErrors, UnwritableOutput) {
  out_ = dir_ / "no_such_folder" / "out.onnx";
  ExpectFails({"--random-calib", "--out", out_.string()}, "no_such_folder");
  std::ofstream(dir_ / "plainfile") << "x";
  out_ = dir_ / "plainfile" / "out.onnx";
  ExpectFails({"--random-calib", "--out", out_.string()}, "plainfile");
}
TEST_F(QuantizeErrors, Int4ModesAreNotSupportedYet) {
  ExpectFails({"--random-calib", "--mode", "w4a8"}, "not supported yet");
  ExpectFails({"--random-calib", "--mode", "w4a16"}, "not supported yet");
  ExpectFails({"--random-calib", "--mode", "int3"}, "int3");
}
TEST_F(QuantizeErrors, UnknownCalibMethod) { ExpectFails({"--random-calib", "--calib-method", "kl"}, "kl"); }
TEST_F(QuantizeErrors, DecoderWithoutEncoder) {
  const fs::path decoder = testing::FixturesDir() / "sam1-decoder" / "decoder.onnx";
  SAMQ_REQUIRE_PATH(decoder);
  ExpectFails({"--random-calib"}, "--encoder", decoder);
}
TEST_F(QuantizeErrors, ImagesForAModelOfUnknownFamily) {
  // Photos cannot be preprocessed for a model that is no SAM encoder: say so (and how to proceed).
  const fs::path dog = testing::FixturesDir() / "images" / "dog.jpg";
  SAMQ_REQUIRE_PATH(dog);
  fs::create_directories(dir_ / "imgs");
  fs::copy_file(dog, dir_ / "imgs" / "dog.jpg");
  ExpectFails({"--calib-dir", (dir_ / "imgs").string()}, "--family");
}

}  // namespace
}  // namespace samq
