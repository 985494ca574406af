// Pillow parity: samq's JPEG/PNG decoding and its PIL-style bilinear resize against Pillow itself.
//
// The goldens are made by tests/oracles/make_image_cases.py (Pillow, numpy; test-only) into
// build/oracles/image on first use; versions.json there records the versions. Every comparison is
// exact: Pillow's decoding (libjpeg ISLOW IDCT, fancy upsampling) and resize (fixed-point
// coefficients) are deterministic integer algorithms.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "io/image.h"
#include "io/npy.h"
#include "sam/resize.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

struct PillowCases {
  fs::path dir;
  std::string problem;  // why they are unavailable
};

// Runs the generator once per process; a folder with a `stamp` from an earlier run is reused.
const PillowCases& GetPillowCases() {
  static PillowCases cases;
  static std::once_flag once;
  std::call_once(once, [] {
    cases.dir = testing::OracleDir() / "image";
    if (fs::exists(cases.dir / "stamp")) return;
    const auto r = testing::RunProgram(
        "python3", {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/make_image_cases.py", "--out",
                    cases.dir.string(), "--images", (testing::FixturesDir() / "images").string()});
    if (r.exit_code != 0) cases.problem = "make_image_cases.py failed: " + r.err;
  });
  return cases;
}

#define SAMQ_REQUIRE_PILLOW_CASES(cases)                                   \
  SAMQ_REQUIRE_FIXTURES();                                                 \
  const PillowCases& cases = GetPillowCases();                             \
  do {                                                                     \
    if (!cases.problem.empty()) {                                          \
      if (testing::InCi()) FAIL() << cases.problem;                        \
      GTEST_SKIP() << cases.problem;                                       \
    }                                                                      \
  } while (0)

// Max |a − b| over two HxWx3 uint8 arrays, and how many bytes differ.
void ExpectSamePixels(const io::Image& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(want.dtype(), DType::kUInt8) << what;
  ASSERT_EQ(want.rank(), 3) << what;
  ASSERT_EQ(got.height, want.dim(0)) << what;
  ASSERT_EQ(got.width, want.dim(1)) << what;
  const uint8_t* w = want.data<uint8_t>();
  int max_diff = 0;
  int64_t differing = 0;
  for (size_t i = 0; i < got.rgb.size(); ++i) {
    const int d = std::abs(int{got.rgb[i]} - int{w[i]});
    max_diff = std::max(max_diff, d);
    differing += d != 0;
  }
  EXPECT_EQ(max_diff, 0) << what << ": " << differing << " of " << got.rgb.size()
                         << " samples differ";
}

TEST(PillowParity, DecodeMatchesPillow) {
  SAMQ_REQUIRE_PILLOW_CASES(cases);
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(cases.dir / "decode")) {
    const fs::path p = entry.path();
    if (p.extension() == ".npy") continue;
    auto want = io::ReadNpy(fs::path(p).replace_extension(".npy"));
    ASSERT_TRUE(want.ok()) << want.status().message();
    auto got = io::ReadImage(p);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSamePixels(*got, want.value(), p.filename().string());
    ++compared;
  }
  EXPECT_GE(compared, 17);
}

TEST(PillowParity, BilinearResizeMatchesPillow) {
  SAMQ_REQUIRE_PILLOW_CASES(cases);
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(cases.dir / "resize")) {
    // <image>_<h>x<w>.npy, resized from fixtures/images/<image>.jpg
    const std::string stem = entry.path().stem().string();
    const size_t us = stem.rfind('_'), x = stem.rfind('x');
    ASSERT_TRUE(us != std::string::npos && x != std::string::npos && x > us) << stem;
    const int64_t h = std::stoll(stem.substr(us + 1, x - us - 1));
    const int64_t w = std::stoll(stem.substr(x + 1));
    auto src = io::ReadImage(testing::FixturesDir() / "images" / (stem.substr(0, us) + ".jpg"));
    ASSERT_TRUE(src.ok()) << src.status().message();
    auto want = io::ReadNpy(entry.path());
    ASSERT_TRUE(want.ok()) << want.status().message();
    auto got = sam::ResizeBilinearAntialiasU8(*src, h, w);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSamePixels(*got, want.value(), stem);
    ++compared;
  }
  EXPECT_GE(compared, 13);
}

}  // namespace
}  // namespace samq
