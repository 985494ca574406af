// COCO RLE against pycocotools (tests/oracles/rle_oracle.py): counts string, area and bbox on
// random, structured, degenerate and fixture masks; decode round trips; malformed strings.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/image.h"
#include "io/npy.h"
#include "sam/rle.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq::sam {
namespace {

namespace fs = std::filesystem;

struct TestMask {
  std::string name;
  int64_t h = 0, w = 0;
  std::vector<uint8_t> px;  // row-major, 0 / non-zero
};

TestMask Filled(std::string name, int64_t h, int64_t w, uint8_t v) {
  return {std::move(name), h, w, std::vector<uint8_t>(static_cast<size_t>(h * w), v)};
}

TestMask RandomNoise(int64_t h, int64_t w, double p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution d(p);
  TestMask m = Filled("noise_" + std::to_string(h) + "x" + std::to_string(w), h, w, 0);
  // Non-zero values other than 255/1 too: anything non-zero is inside.
  for (auto& v : m.px) v = d(rng) ? static_cast<uint8_t>(1 + rng() % 255) : 0;
  return m;
}

// A few random discs and rectangles: long runs, so counts are large and the deltas of the string
// form go both ways.
TestMask RandomBlobs(int64_t h, int64_t w, uint32_t seed) {
  std::mt19937 rng(seed);
  TestMask m = Filled("blobs_" + std::to_string(h) + "x" + std::to_string(w), h, w, 0);
  for (int s = 0; s < 6; ++s) {
    const int64_t cy = rng() % h, cx = rng() % w, r = 1 + rng() % std::max<int64_t>(1, h / 3);
    const bool disc = rng() % 2;
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const int64_t dy = y - cy, dx = x - cx;
        const bool in = disc ? dy * dy + dx * dx <= r * r : std::abs(dy) <= r && std::abs(dx) <= 2 * r;
        if (in) m.px[y * w + x] = (s % 3 == 2) ? 0 : 255;  // some blobs cut holes
      }
  }
  return m;
}

std::vector<TestMask> SyntheticMasks() {
  std::vector<TestMask> v;
  v.push_back(Filled("zeros_5x7", 5, 7, 0));
  v.push_back(Filled("ones_5x7", 5, 7, 255));
  v.push_back(Filled("ones_3x200", 3, 200, 255));  // runs crossing the 64-column strips
  v.push_back(Filled("zeros_130x130", 130, 130, 0));
  v.push_back(Filled("one_1x1", 1, 1, 255));
  v.push_back(Filled("zero_1x1", 1, 1, 0));
  for (auto [y, x] : {std::pair<int64_t, int64_t>{0, 0}, {8, 12}, {4, 6}, {0, 12}, {8, 0}}) {
    TestMask m = Filled("pixel_" + std::to_string(y) + "_" + std::to_string(x), 9, 13, 0);
    m.px[y * 13 + x] = 255;
    v.push_back(std::move(m));
  }
  TestMask col = Filled("last_column_9x70", 9, 70, 0);
  for (int64_t y = 0; y < 9; ++y) col.px[y * 70 + 69] = 1;
  v.push_back(std::move(col));
  TestMask wrap = Filled("wrap_6x66", 6, 66, 0);  // a run from the bottom of col 63 into col 64
  wrap.px[5 * 66 + 63] = wrap.px[0 * 66 + 64] = wrap.px[1 * 66 + 64] = 1;
  v.push_back(std::move(wrap));
  uint32_t seed = 11;
  for (auto [h, w] : {std::pair<int64_t, int64_t>{1, 17}, {17, 1}, {7, 13}, {64, 64}, {65, 129},
                      {31, 300}, {256, 256}}) {
    for (double p : {0.02, 0.5, 0.97}) v.push_back(RandomNoise(h, w, p, seed++));
    v.push_back(RandomBlobs(h, w, seed++));
  }
  v.push_back(RandomBlobs(300, 450, seed++));
  return v;
}

std::vector<TestMask> FixtureMasks() {
  std::vector<TestMask> v;
  const fs::path root = testing::FixturesDir();
  if (!fs::exists(root)) return v;
  for (const char* fam : {"sam-vit-mini", "mobilesam", "efficientvit-sam-mini", "sam2-mini"}) {
    const fs::path cases = root / fam / "cases";
    if (!fs::exists(cases)) continue;
    for (const auto& e : fs::directory_iterator(cases)) {
      if (e.path().extension() != ".png") continue;
      auto img = io::ReadImage(e.path());
      EXPECT_TRUE(img.ok()) << img.status().message();
      if (!img.ok()) continue;
      TestMask m = Filled(std::string(fam) + "/" + e.path().filename().string(), img->height,
                          img->width, 0);
      for (int64_t i = 0; i < m.h * m.w; ++i) m.px[i] = img->rgb[i * 3];
      v.push_back(std::move(m));
    }
  }
  return v;
}

struct OracleEntry {
  std::string counts;
  int64_t area = 0;
  std::array<int64_t, 4> bbox{};
  bool roundtrip_ok = false;
};

// Runs rle_oracle.py; nullopt (with the reason in `why`) when python3/pycocotools are missing.
std::optional<std::vector<OracleEntry>> RunOracle(const std::vector<TestMask>& masks,
                                                  std::string& why) {
  const fs::path dir =
      fs::temp_directory_path() / ("samq_rle_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  std::vector<std::string> args = {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/rle_oracle.py",
                                   (dir / "out.json").string()};
  for (size_t i = 0; i < masks.size(); ++i) {
    const fs::path p = dir / (std::to_string(i) + ".npy");
    std::vector<uint8_t> px = masks[i].px;
    EXPECT_TRUE(io::WriteNpy(p, Tensor::FromVector<uint8_t>({masks[i].h, masks[i].w}, px)).ok());
    args.push_back(p.string());
  }
  const auto res = testing::RunProgram("python3", args);
  std::optional<std::vector<OracleEntry>> out;
  if (res.exit_code == 0) {
    std::ifstream f(dir / "out.json");
    const auto j = nlohmann::json::parse(f, nullptr, false);
    if (!j.is_discarded()) {
      out.emplace();
      for (const auto& e : j) {
        OracleEntry o;
        o.counts = e["counts"].get<std::string>();
        o.area = e["area"].get<int64_t>();
        for (int k = 0; k < 4; ++k) o.bbox[k] = e["bbox"][k].get<int64_t>();
        o.roundtrip_ok = e["roundtrip_ok"].get<bool>();
        out->push_back(o);
      }
    } else {
      why = "oracle wrote invalid JSON";
    }
  } else {
    why = "rle_oracle.py exit " + std::to_string(res.exit_code) + ": " + res.err;
  }
  fs::remove_all(dir);
  return out;
}

TEST(Rle, MatchesPycocotools) {
  std::vector<TestMask> masks = SyntheticMasks();
  const size_t n_synthetic = masks.size();
  for (TestMask& m : FixtureMasks()) masks.push_back(std::move(m));
  if (masks.size() == n_synthetic && testing::InCi()) FAIL() << "fixture masks not found";

  std::string why;
  const auto oracle = RunOracle(masks, why);
  if (!oracle) {
    if (testing::InCi()) FAIL() << "pycocotools oracle unavailable: " << why;
    GTEST_SKIP() << "pycocotools oracle unavailable: " << why;
  }
  ASSERT_EQ(oracle->size(), masks.size());
  for (size_t i = 0; i < masks.size(); ++i) {
    const TestMask& m = masks[i];
    const OracleEntry& o = (*oracle)[i];
    const Rle rle = EncodeRle(m.px.data(), m.h, m.w);
    EXPECT_TRUE(o.roundtrip_ok) << m.name;
    EXPECT_EQ(RleToString(rle), o.counts) << m.name;
    EXPECT_EQ(RleArea(rle), o.area) << m.name;
    EXPECT_EQ(RleBbox(rle), o.bbox) << m.name;
  }
  std::printf("[rle] %zu masks (%zu synthetic, %zu fixture PNGs) equal pycocotools\n", masks.size(),
              n_synthetic, masks.size() - n_synthetic);
}

TEST(Rle, DecodeRoundTrips) {
  for (const TestMask& m : SyntheticMasks()) {
    const Rle rle = EncodeRle(m.px.data(), m.h, m.w);
    ASSERT_TRUE(ValidateRle(rle).ok()) << m.name;
    auto parsed = RleFromString(RleToString(rle), m.h, m.w);
    ASSERT_TRUE(parsed.ok()) << m.name << ": " << parsed.status().message();
    EXPECT_EQ(parsed->counts, rle.counts) << m.name;
    const auto back = DecodeRle(*parsed, 1);
    ASSERT_EQ(back.size(), m.px.size());
    for (size_t i = 0; i < back.size(); ++i) ASSERT_EQ(back[i], m.px[i] != 0) << m.name << " @" << i;
  }
}

TEST(Rle, CountsStartWithZerosAndAreColumnMajor) {
  // 2x3, row-major [[1,0,0],[1,1,0]] -> column-major 1,1,0,1,0,0 -> runs 0,2,1,1,2.
  const std::vector<uint8_t> m = {1, 0, 0, 1, 1, 0};
  const Rle rle = EncodeRle(m.data(), 2, 3);
  EXPECT_EQ(rle.counts, (std::vector<uint32_t>{0, 2, 1, 1, 2}));
  EXPECT_EQ(RleArea(rle), 3);
  EXPECT_EQ(RleBbox(rle), (std::array<int64_t, 4>{0, 0, 2, 2}));
  const Rle empty = EncodeRle(nullptr, 0, 4);
  EXPECT_EQ(empty.counts, std::vector<uint32_t>{0});
}

TEST(Rle, MalformedStringsAreUserErrors) {
  // ' ' is below the alphabet, '~' above it; 'P' (48 + 0x20) promises a further group.
  for (const char* bad : {"0 1", "0~", "P", "0<P"}) {
    auto r = RleCountsFromString(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
  }
  // 13 continuation groups overflow any count.
  EXPECT_FALSE(RleCountsFromString(std::string(13, 'P') + "0").ok());
  // Negative counts: 'O' is the single group 0x1f = -1. The third count is taken as is, the
  // fourth on is a delta from two back (here 0).
  EXPECT_FALSE(RleCountsFromString("00O").ok());
  EXPECT_FALSE(RleCountsFromString("000O").ok());
  // Counts that do not cover the size.
  EXPECT_FALSE(RleFromString("0<", 3, 5).ok());
  EXPECT_TRUE(RleFromString("0<", 3, 4).ok());
}

}  // namespace
}  // namespace samq::sam
