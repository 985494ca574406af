// The public header's opening example is examples/segment_example.cpp verbatim, and that program
// builds (CMake target samq_segment_example) and runs on a fixture.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq {
namespace {

std::string Slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(ApiExample, HeaderCommentIsTheExampleFile) {
  std::string header = Slurp(std::string(SAMQ_SOURCE_DIR) + "/include/samq/samq.h");
  std::istringstream example(Slurp(std::string(SAMQ_SOURCE_DIR) + "/examples/segment_example.cpp"));
  std::string line;
  while (std::getline(example, line)) {
    std::string commented = line.empty() ? "//" : "// " + line;
    EXPECT_NE(header.find(commented + "\n"), std::string::npos) << "header lacks example line: " << line;
  }
}

TEST(ApiExample, RunsOnAFixture) {
  SAMQ_REQUIRE_FIXTURES();
  auto fix = testing::FixturesDir();
  auto r = testing::RunProgram(SAMQ_EXAMPLE_PATH, {(fix / "sam-vit-mini/encoder.onnx").string(),
                                                  (fix / "sam1-decoder/decoder.onnx").string(),
                                                  (fix / "images/truck.jpg").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("click: mask 1800x1200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("box: score"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace samq
