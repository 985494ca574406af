// .npy reader/writer: round trips for every dtype, headers numpy writes (1.0/2.0/3.0), and one
// test per malformed input, each expecting a user error that names the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "support/fixtures.h"

namespace samq::io {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

// Builds a .npy byte string by hand, the way numpy lays it out.
std::string MakeNpy(const std::string& dict, const std::string& data, int major = 1) {
  std::string header = dict;
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const uint32_t hl = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out += static_cast<char>((hl >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string Bytes(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

void ExpectUserError(const Result<Tensor>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser) << r.status().message();
  EXPECT_NE(r.status().message().find("test.npy"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

Tensor RandomTensor(DType dt, const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::Zeros(dt, shape);
  std::mt19937 rng(seed);
  auto* p = static_cast<uint8_t*>(t.raw());
  for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
  if (dt == DType::kBool)
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
  return t;
}

class NpyRoundTrip : public ::testing::TestWithParam<DType> {};

TEST_P(NpyRoundTrip, EveryShapeKind) {
  const DType dt = GetParam();
  for (const Shape& shape :
       {Shape{}, Shape{7}, Shape{2, 3, 5}, Shape{4, 0, 3}, Shape{1, 1, 1, 1, 9}}) {
    Tensor t = RandomTensor(dt, shape, 42);
    const std::string bytes = SerializeNpy(t);
    ASSERT_FALSE(bytes.empty());
    // Version 1.0, header padded so the data starts at a multiple of 64.
    EXPECT_EQ(bytes[6], 1);
    EXPECT_EQ(bytes[7], 0);
    const size_t hl = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    EXPECT_EQ((10 + hl) % 64, 0u);
    EXPECT_EQ(bytes[10 + hl - 1], '\n');
    auto back = ParseNpy(bytes, "test.npy");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->dtype(), dt);
    EXPECT_EQ(back->shape(), shape);
    ASSERT_EQ(back->nbytes(), t.nbytes());
    EXPECT_EQ(std::memcmp(back->raw(), t.raw(), t.nbytes()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, NpyRoundTrip,
                         ::testing::Values(DType::kFloat32, DType::kFloat64, DType::kFloat16,
                                           DType::kUInt8, DType::kInt8, DType::kInt16,
                                           DType::kUInt16, DType::kInt32, DType::kUInt32,
                                           DType::kInt64, DType::kUInt64, DType::kBool),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(Npy, HeaderTextMatchesNumpy) {
  Tensor t = Tensor::FromVector<float>({3}, {1, 2, 3});
  const std::string bytes = SerializeNpy(t);
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"),
            std::string::npos);
  Tensor s = Tensor::Scalar<int64_t>(5);
  EXPECT_NE(SerializeNpy(s).find("'shape': ()"), std::string::npos);
}

TEST(Npy, NarrowTypesAreWidenedOnWrite) {
  // bf16 has no numpy dtype: written as float32 values; int4 as one int8 per element.
  Tensor b = Tensor::Zeros(DType::kBFloat16, {2});
  b.data<uint16_t>()[0] = 0x3f80;  // 1.0
  b.data<uint16_t>()[1] = 0xc000;  // -2.0
  auto back = ParseNpy(SerializeNpy(b), "test.npy");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->dtype(), DType::kFloat32);
  EXPECT_EQ(back->data<float>()[0], 1.0f);
  EXPECT_EQ(back->data<float>()[1], -2.0f);
  Tensor q = Tensor::Zeros(DType::kInt4, {2});
  q.data<int8_t>()[0] = -8;
  q.data<int8_t>()[1] = 7;
  auto qb = ParseNpy(SerializeNpy(q), "test.npy");
  ASSERT_TRUE(qb.ok());
  EXPECT_EQ(qb->dtype(), DType::kInt8);
  EXPECT_EQ(qb->data<int8_t>()[0], -8);
  EXPECT_EQ(qb->data<int8_t>()[1], 7);
}

TEST(Npy, ReadsVersions2And3AndOldStyleHeaders) {
  const float v[2] = {1.5f, -2.5f};
  const std::string data = Bytes(v, sizeof(v));
  for (int major : {2, 3}) {
    auto r =
        ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data, major),
                 "test.npy");
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->data<float>()[1], -2.5f);
  }
  // Double quotes, no trailing comma, other key order, Python 2 'L' suffix, '=' byte order.
  auto r =
      ParseNpy(MakeNpy("{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"=f4\"}", data),
               "test.npy");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->shape(), (Shape{1, 2}));
  // '|b1' with a byte other than 0/1 reads as true (1).
  auto b =
      ParseNpy(MakeNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", "\x00\x07"s),
               "test.npy");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data<uint8_t>()[1], 1);
}

TEST(Npy, BadInputsAreUserErrors) {
  const std::string f4x2(8, '\0');
  const std::string ok_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  ExpectUserError(ParseNpy("", "test.npy"), "magic");
  ExpectUserError(ParseNpy("hello world, not numpy", "test.npy"), "magic");
  ExpectUserError(ParseNpy(MakeNpy(ok_dict, f4x2).substr(0, 20), "test.npy"), "truncated header");
  ExpectUserError(ParseNpy(MakeNpy(ok_dict, f4x2).substr(0, 9), "test.npy"), "truncated header");
  ExpectUserError(ParseNpy(MakeNpy(ok_dict, f4x2.substr(0, 5)), "test.npy"), "needs 8 data bytes");
  ExpectUserError(ParseNpy(MakeNpy(ok_dict, f4x2 + "xx"), "test.npy"), "needs 8 data bytes");
  std::string v4 = MakeNpy(ok_dict, f4x2);
  v4[6] = 4;
  ExpectUserError(ParseNpy(v4, "test.npy"), "version 4.0");
  ExpectUserError(
      ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f4x2),
               "test.npy"),
      "Fortran");
  ExpectUserError(
      ParseNpy(MakeNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4x2),
               "test.npy"),
      "big-endian");
  ExpectUserError(
      ParseNpy(MakeNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", f4x2),
               "test.npy"),
      "unsupported .npy dtype '<c8'");
  ExpectUserError(
      ParseNpy(MakeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", f4x2),
               "test.npy"),
      "structured");
  ExpectUserError(ParseNpy(MakeNpy("{'descr': '<f4', 'shape': (2,), }", f4x2), "test.npy"), "keys");
  ExpectUserError(
      ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", f4x2),
               "test.npy"),
      "non-negative");
  ExpectUserError(ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", f4x2),
                           "test.npy"),
                  "shape");
  ExpectUserError(ParseNpy(MakeNpy("[1, 2, 3]", f4x2), "test.npy"), "dict");
  ExpectUserError(
      ParseNpy(MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", f4x2),
               "test.npy"),
      "unexpected key");
  // Shapes whose product overflows, or is merely huge, must fail before any allocation.
  ExpectUserError(ParseNpy(MakeNpy("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (4294967296, 4294967296, 4294967296), }",
                                   f4x2),
                           "test.npy"),
                  "too large");
  ExpectUserError(ParseNpy(MakeNpy("{'descr': '<f8', 'fortran_order': False, "
                                   "'shape': (99999999999999999999,), }",
                                   f4x2),
                           "test.npy"),
                  "too large");
  ExpectUserError(
      ParseNpy(
          MakeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", f4x2),
          "test.npy"),
      "needs 4000000000000 data bytes");
  // A header length pointing past the end of the file.
  std::string big = MakeNpy(ok_dict, f4x2);
  big[8] = '\xff';
  big[9] = '\xff';
  ExpectUserError(ParseNpy(big, "test.npy"), "truncated header");
}

TEST(Npy, WriteAndReadFiles) {
  const fs::path dir = fs::temp_directory_path() / ("samq_npy_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Tensor t = Tensor::FromVector<int32_t>({2, 2}, {1, -2, 3, -4});
  ASSERT_TRUE(WriteNpy(dir / "a.npy", t).ok());
  auto r = ReadNpy(dir / "a.npy");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->AsInt64Vector(), (std::vector<int64_t>{1, -2, 3, -4}));
  auto missing = ReadNpy(dir / "missing.npy");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kUser);
  EXPECT_NE(missing.status().message().find("missing.npy"), std::string::npos);
  Status bad = WriteNpy(dir / "no_such_dir" / "a.npy", t);
  EXPECT_EQ(bad.kind(), ErrorKind::kUser);
  EXPECT_NE(bad.message().find("no_such_dir"), std::string::npos);
  fs::remove_all(dir);
}

// Every .npy the fixtures ship is a file numpy wrote: all must read, and write back identically
// up to header padding (numpy also pads to 64 since 1.x, so the bytes are equal).
TEST(Npy, ReadsAllFixtureArrays) {
  SAMQ_REQUIRE_FIXTURES();
  int count = 0;
  for (const auto& e : fs::recursive_directory_iterator(samq::testing::FixturesDir())) {
    if (e.path().extension() != ".npy") continue;
    auto t = ReadNpy(e.path());
    ASSERT_TRUE(t.ok()) << t.status().message();
    auto bytes = ReadFile(e.path());
    ASSERT_TRUE(bytes.ok());
    auto again = ParseNpy(SerializeNpy(*t), "rewritten");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->shape(), t->shape()) << e.path();
    EXPECT_EQ(std::memcmp(again->raw(), t->raw(), t->nbytes()), 0) << e.path();
    ++count;
  }
  EXPECT_GT(count, 10);
}

}  // namespace
}  // namespace samq::io
