// Atomic writes: the destination appears only complete, temporary files never stay behind, and
// every failure is a user error naming the path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/atomic_file.h"

namespace samq::io {
namespace {

namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("samq_atomic_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  size_t EntriesInDir() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  fs::path dir_;
};

TEST_F(AtomicFile, WritesAndReadsBack) {
  const std::string payload = std::string(3 << 20, 'x') + "tail";  // bigger than the write buffer
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f.bin", payload).ok());
  auto r = ReadFile(dir_ / "f.bin");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, payload);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f.bin", "short").ok());  // replaces
  EXPECT_EQ(ReadFile(dir_ / "f.bin").value(), "short");
  ASSERT_TRUE(WriteFileAtomic(dir_ / "empty", "").ok());
  EXPECT_EQ(ReadFile(dir_ / "empty").value(), "");
  EXPECT_EQ(EntriesInDir(), 2u);  // no temporary files left
}

TEST_F(AtomicFile, StreamFailureLeavesNothing) {
  ASSERT_TRUE(WriteFileAtomic(dir_ / "keep", "old").ok());
  Status s = WriteFileAtomicStream(dir_ / "keep", [](std::ostream& os) {
    os << "partial";
    return Status::User("generator failed");
  });
  EXPECT_EQ(s.kind(), ErrorKind::kUser);
  EXPECT_EQ(s.message(), "generator failed");
  EXPECT_EQ(ReadFile(dir_ / "keep").value(), "old");  // the old content survives
  EXPECT_EQ(EntriesInDir(), 1u);
}

TEST_F(AtomicFile, UnwritableDestinationsAreUserErrors) {
  Status s = WriteFileAtomic(dir_ / "missing_dir" / "f", "x");
  EXPECT_EQ(s.kind(), ErrorKind::kUser);
  EXPECT_NE(s.message().find("missing_dir"), std::string::npos) << s.message();
  ASSERT_TRUE(WriteFileAtomic(dir_ / "plain", "x").ok());
  s = WriteFileAtomic(dir_ / "plain" / "f", "x");  // parent is a file
  EXPECT_EQ(s.kind(), ErrorKind::kUser);
  EXPECT_NE(s.message().find("plain"), std::string::npos);
  fs::create_directories(dir_ / "sub");
  s = WriteFileAtomic(dir_ / "sub", "x");  // destination is a directory
  EXPECT_EQ(s.kind(), ErrorKind::kUser);
  EXPECT_NE(s.message().find("directory"), std::string::npos);
  if (::geteuid() != 0) {  // root ignores permission bits
    fs::create_directories(dir_ / "ro");
    fs::permissions(dir_ / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    s = WriteFileAtomic(dir_ / "ro" / "f", "x");
    EXPECT_EQ(s.kind(), ErrorKind::kUser);
    EXPECT_NE(s.message().find("ro"), std::string::npos);
    fs::permissions(dir_ / "ro", fs::perms::owner_all);
  }
}

TEST_F(AtomicFile, ReadErrorsNameThePath) {
  auto r = ReadFile(dir_ / "nope.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
  EXPECT_NE(r.status().message().find("nope.onnx"), std::string::npos);
  r = ReadFile(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), ErrorKind::kUser);
}

}  // namespace
}  // namespace samq::io
