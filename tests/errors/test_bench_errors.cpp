// `samq bench`: a good run prints one well-formed JSON object; bad input (unknown input name,
// malformed SHAPE, --runs < 1, missing file, unknown dims left out) exits with code 2 and a
// one-line message naming the problem. No assertions on timings: only on their consistency.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/npy.h"
#include "onnx/export.h"
#include "support/run_cli.h"
#include "support/tiny_models.h"

namespace samq {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;

class BenchErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("samq_bench_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(onnx::SaveModel(testing::ReluAddModel(), Good()).ok());
    ASSERT_TRUE(io::WriteNpy(dir_ / "x.npy", Tensor::FromVector<float>({1, 4}, {-1, 0, 1, 2})).ok());
    // The same model with a symbolic second dim, like the SAM decoder's point count.
    ir::Model dynamic = testing::ReluAddModel();
    dynamic.graph.inputs[0].dims[1] = {-1, "N"};
    ASSERT_TRUE(onnx::SaveModel(dynamic, Dynamic()).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Good() const { return dir_ / "good.onnx"; }
  fs::path Dynamic() const { return dir_ / "dynamic.onnx"; }

  nlohmann::json BenchJson(std::vector<std::string> args) {
    args.insert(args.begin(), "bench");
    for (const char* a : {"--json", "--threads", "1", "--warmup", "0"}) args.push_back(a);
    auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON object: " << r.out;
    return j;
  }

  void ExpectBenchFails(std::vector<std::string> args, const std::string& must_mention) {
    args.insert(args.begin(), "bench");
    auto r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(must_mention), std::string::npos)
        << "message should name '" << must_mention << "': " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one-line message expected: " << r.err;
    EXPECT_TRUE(r.out.empty()) << "nothing on stdout on failure: " << r.out;
  }

  fs::path dir_;
};

TEST_F(BenchErrors, JsonRunHasTheContractKeys) {
  auto j = BenchJson({Good().string(), "--runs", "3"});
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"model", "threads", "runs", "warmup", "load_ms", "import_ms", "first_run_ms",
                          "min_ms", "median_ms", "p90_ms", "max_ms", "mean_ms", "throughput_per_s",
                          "peak_rss_mb", "runs_ms", "inputs", "cpu", "samq_version"})
    EXPECT_TRUE(j.contains(key)) << "missing key " << key << " in " << j.dump();
  EXPECT_EQ(j["runs"], 3);
  EXPECT_EQ(j["threads"], 1);
  ASSERT_EQ(j["runs_ms"].size(), 3u);
  double mn = j["min_ms"], med = j["median_ms"], p90 = j["p90_ms"], mx = j["max_ms"];
  EXPECT_GE(mn, 0.0);
  EXPECT_GE(med, mn);
  EXPECT_GE(p90, med);
  EXPECT_GE(mx, p90);
  EXPECT_GE(j["load_ms"].get<double>(), j["import_ms"].get<double>());
  EXPECT_GT(j["throughput_per_s"].get<double>(), 0.0);
  EXPECT_GT(j["peak_rss_mb"].get<double>(), 0.0);
  // x was not given: synthesized from the declared shape.
  EXPECT_EQ(j["inputs"]["x"]["source"], "random");
  EXPECT_EQ(j["inputs"]["x"]["shape"], (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(j["inputs"]["x"]["dtype"], "float32");
}

TEST_F(BenchErrors, InputFromFileAndFromShape) {
  auto file = BenchJson({Good().string(), "--runs", "1", "--input", "x=" + (dir_ / "x.npy").string()});
  EXPECT_EQ(file["inputs"]["x"]["source"], (dir_ / "x.npy").string());
  // A symbolic dim is fixed by the SHAPE the user gives.
  auto shaped = BenchJson({Dynamic().string(), "--runs", "1", "--input", "x=1x4"});
  EXPECT_EQ(shaped["inputs"]["x"]["shape"], (std::vector<int64_t>{1, 4}));
}

TEST_F(BenchErrors, ProfileListsEveryOp) {
  auto j = BenchJson({Good().string(), "--runs", "2", "--profile"});
  ASSERT_TRUE(j.contains("profile")) << j.dump();
  std::string ops;
  for (const auto& row : j["profile"]["by_op"]) ops += row["op"].get<std::string>() + ";";
  EXPECT_NE(ops.find("Relu"), std::string::npos) << ops;
  EXPECT_NE(ops.find("Add"), std::string::npos) << ops;
  EXPECT_GE(j["profile"]["run_ms"].get<double>(), 0.0);
}

TEST_F(BenchErrors, TextReportWithoutJson) {
  auto r = RunCli({"bench", Good().string(), "--runs", "2", "--threads", "1", "--profile"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* word : {"median", "p90", "first run", "load", "peak RSS", "throughput", "Relu"})
    EXPECT_NE(r.out.find(word), std::string::npos) << "missing '" << word << "' in:\n" << r.out;
}

TEST_F(BenchErrors, UnknownInputName) {
  ExpectBenchFails({Good().string(), "--input", "image=1x3x8x8"}, "'image'");
}

TEST_F(BenchErrors, MalformedShape) {
  ExpectBenchFails({Good().string(), "--input", "x=1xx4"}, "1xx4");
  ExpectBenchFails({Good().string(), "--input", "x=x4"}, "x4");
}

TEST_F(BenchErrors, BadInputSpec) { ExpectBenchFails({Good().string(), "--input", "x"}, "NAME=SHAPE"); }

TEST_F(BenchErrors, RunsBelowOne) {
  ExpectBenchFails({Good().string(), "--runs", "0"}, "--runs");
  ExpectBenchFails({Good().string(), "--runs", "-3"}, "--runs");
}

TEST_F(BenchErrors, MissingInputFile) {
  ExpectBenchFails({Good().string(), "--input", "x=" + (dir_ / "absent.npy").string()}, "absent.npy");
}

TEST_F(BenchErrors, MissingModelFile) { ExpectBenchFails({(dir_ / "nope.onnx").string()}, "nope.onnx"); }

TEST_F(BenchErrors, UnknownDimsNeedAShape) { ExpectBenchFails({Dynamic().string()}, "'x'"); }

TEST_F(BenchErrors, ShapeTheModelRejects) { ExpectBenchFails({Good().string(), "--input", "x=1x5"}, "1x5"); }

TEST_F(BenchErrors, BadFlagExitsTwo) {
  auto r = RunCli({"bench", Good().string(), "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace samq
