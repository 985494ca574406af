// Bad input to `samq inspect` / `samq run`: each case exits with code 2, prints a message that
// names the offending file, node or input, and leaves no output file behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/npy.h"
#include "onnx/export.h"
#include "support/fixtures.h"
#include "support/run_cli.h"
#include "support/tiny_models.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;

class RunErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("samq_errors_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    out_ = dir_ / "out";
    ASSERT_TRUE(onnx::SaveModel(testing::ReluAddModel(), dir_ / "good.onnx").ok());
    ASSERT_TRUE(io::WriteNpy(dir_ / "x.npy", Tensor::FromVector<float>({1, 4}, {-1, 0, 1, 2})).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteBytes(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
  }
  std::string ReadBytes(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  // Runs `samq run MODEL --input x=... --out-dir out` and checks the failure contract.
  void ExpectRunFails(const fs::path& model, const std::vector<std::string>& inputs,
                      const std::string& must_mention) {
    std::vector<std::string> args = {"run", model.string(), "--out-dir", out_.string()};
    for (const auto& in : inputs) {
      args.push_back("--input");
      args.push_back(in);
    }
    auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos)
        << "message should name '" << must_mention << "': " << r.err;
    EXPECT_FALSE(fs::exists(out_ / "y.npy")) << "partial output left behind";
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one-line message expected: " << r.err;
  }
  std::string X() const { return "x=" + (dir_ / "x.npy").string(); }

  fs::path dir_, out_;
};

TEST_F(RunErrors, GoodModelRuns) {
  auto r = RunCli({"run", (dir_ / "good.onnx").string(), "--input", X(), "--out-dir", out_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto y = io::ReadNpy(out_ / "y.npy");
  ASSERT_TRUE(y.ok()) << y.status().message();
  // Relu(-1,0,1,2) + (1,2,3,4) = (1,2,4,6), by hand.
  EXPECT_EQ(y->AsDoubleVector(), (std::vector<double>{1, 2, 4, 6}));
}

TEST_F(RunErrors, TruncatedProtobuf) {
  std::string bytes = ReadBytes(dir_ / "good.onnx");
  WriteBytes(dir_ / "cut.onnx", bytes.substr(0, bytes.size() / 2));
  ExpectRunFails(dir_ / "cut.onnx", {X()}, "cut.onnx");
}

TEST_F(RunErrors, CorruptProtobuf) {
  std::string bytes = ReadBytes(dir_ / "good.onnx");
  for (size_t i = 0; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(0xff);
  WriteBytes(dir_ / "corrupt.onnx", bytes);
  ExpectRunFails(dir_ / "corrupt.onnx", {X()}, "corrupt.onnx");
}

TEST_F(RunErrors, NotOnnx) {
  WriteBytes(dir_ / "notes.onnx", "these are my notes, not a model\n");
  ExpectRunFails(dir_ / "notes.onnx", {X()}, "notes.onnx");
}

TEST_F(RunErrors, MissingModelFile) { ExpectRunFails(dir_ / "absent.onnx", {X()}, "absent.onnx"); }

TEST_F(RunErrors, UnsupportedOpsAreAllListed) {
  ASSERT_TRUE(onnx::SaveModel(testing::UnsupportedOpsModel(), dir_ / "odd.onnx").ok());
  ExpectRunFails(dir_ / "odd.onnx", {X()}, "mystery_a");
  auto r = RunCli({"run", (dir_ / "odd.onnx").string(), "--input", X(), "--out-dir", out_.string()});
  EXPECT_NE(r.err.find("mystery_b"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("FooOp"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("BarOp"), std::string::npos) << r.err;
  // inspect lists them too, without failing.
  auto i = RunCli({"inspect", (dir_ / "odd.onnx").string()});
  EXPECT_EQ(i.exit_code, 0) << i.err;
  EXPECT_NE(i.out.find("mystery_a"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("mystery_b"), std::string::npos) << i.out;
}

TEST_F(RunErrors, WrongInputName) {
  ExpectRunFails(dir_ / "good.onnx", {"image=" + (dir_ / "x.npy").string()}, "'image'");
}

TEST_F(RunErrors, MissingInput) { ExpectRunFails(dir_ / "good.onnx", {}, "'x'"); }

TEST_F(RunErrors, WrongDtype) {
  ASSERT_TRUE(io::WriteNpy(dir_ / "xi.npy", Tensor::FromVector<int64_t>({1, 4}, {1, 2, 3, 4})).ok());
  ExpectRunFails(dir_ / "good.onnx", {"x=" + (dir_ / "xi.npy").string()}, "dtype");
}

TEST_F(RunErrors, WrongRank) {
  ASSERT_TRUE(io::WriteNpy(dir_ / "x1.npy", Tensor::FromVector<float>({4}, {1, 2, 3, 4})).ok());
  ExpectRunFails(dir_ / "good.onnx", {"x=" + (dir_ / "x1.npy").string()}, "rank");
}

TEST_F(RunErrors, WrongShape) {
  ASSERT_TRUE(io::WriteNpy(dir_ / "x5.npy", Tensor::FromVector<float>({1, 5}, {1, 2, 3, 4, 5})).ok());
  ExpectRunFails(dir_ / "good.onnx", {"x=" + (dir_ / "x5.npy").string()}, "1x5");
}

TEST_F(RunErrors, MalformedNpy) {
  WriteBytes(dir_ / "bad.npy", "\x93NUMPY\x01\x00garbage");
  ExpectRunFails(dir_ / "good.onnx", {"x=" + (dir_ / "bad.npy").string()}, "bad.npy");
}

TEST_F(RunErrors, BadInputSpec) { ExpectRunFails(dir_ / "good.onnx", {"x"}, "NAME=FILE.npy"); }

TEST_F(RunErrors, UnwritableOutputDir) {
  // Running as root ignores permission bits, so make the output path go through a regular file.
  WriteBytes(dir_ / "plainfile", "x");
  out_ = dir_ / "plainfile" / "out";
  ExpectRunFails(dir_ / "good.onnx", {X()}, "plainfile");
}

TEST_F(RunErrors, BadFlagExitsTwo) {
  auto r = RunCli({"run", (dir_ / "good.onnx").string(), "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace samq
