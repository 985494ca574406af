// Atomic file writes and whole-file reads.
//
// The temporary file lives in the destination folder because rename(2) is only atomic within one
// file system; it is made with mkstemp (unique name, mode 0600, then widened to the usual 0644
// minus umask so the result looks like any other file the user writes).
#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <streambuf>
#include <vector>

namespace samq::io {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// A streambuf that writes straight to a file descriptor and remembers the first error, so a full
// disk is reported instead of silently truncating the output.
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd), buf_(1 << 20) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  int error() const { return error_; }
  bool FlushAll() { return sync() == 0; }

 protected:
  int_type overflow(int_type ch) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    // Large blocks bypass the buffer: tensors of hundreds of MB are common.
    if (n >= static_cast<std::streamsize>(buf_.size())) {
      if (sync() != 0) return 0;
      return WriteAll(s, static_cast<size_t>(n)) ? n : 0;
    }
    return std::streambuf::xsputn(s, n);
  }
  int sync() override {
    const size_t n = static_cast<size_t>(pptr() - pbase());
    if (n && !WriteAll(pbase(), n)) return -1;
    setp(buf_.data(), buf_.data() + buf_.size());
    return 0;
  }

 private:
  bool WriteAll(const char* p, size_t n) {
    if (error_) return false;
    while (n) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  int fd_;
  int error_ = 0;
  std::vector<char> buf_;
};

mode_t DefaultFileMode() {
  // umask can only be read by setting it; restore it at once (single call site, load/save time).
  mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

}  // namespace

Status WriteFileAtomicStream(const std::filesystem::path& path,
                             const std::function<Status(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  if (path.empty()) return Status::User("cannot write a file with an empty path");
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return Status::UserF("cannot write '{}': it is a directory", path.string());
  if (!fs::is_directory(dir, ec))
    return Status::UserF("cannot write '{}': folder '{}' does not exist", path.string(),
                         dir.string());

  // Hidden name beside the destination; appended piecewise (GCC 12 warns falsely on "." + s).
  std::string leaf = path.filename().string();
  leaf.insert(leaf.begin(), '.');
  leaf.append(".tmp.XXXXXX");
  std::string tmpl = (dir / leaf).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    const int err = errno;
    return Status::UserF("cannot write '{}': cannot create a file in '{}': {}", path.string(),
                         dir.string(), ErrnoText(err));
  }
  const std::string tmp = tmpl;
  auto fail = [&](Status s) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };

  FdStreamBuf sb(fd);
  std::ostream os(&sb);
  Status st = write(os);
  if (!st.ok()) return fail(st);
  os.flush();
  if (!sb.FlushAll() || !os.good()) {
    const int err = sb.error();
    return fail(Status::UserF("cannot write '{}': {}", path.string(),
                              err ? ErrnoText(err) : std::string("stream error")));
  }
  // fsync so that a crash right after the rename cannot leave an empty file under the final name.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
    const int err = errno;
    return fail(
        Status::UserF("cannot write '{}': fsync failed: {}", path.string(), ErrnoText(err)));
  }
  ::fchmod(fd, DefaultFileMode());
  if (::close(fd) != 0) {
    const int err = errno;
    fd = -1;
    return fail(Status::UserF("cannot write '{}': {}", path.string(), ErrnoText(err)));
  }
  fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    return fail(
        Status::UserF("cannot write '{}': rename failed: {}", path.string(), ErrnoText(err)));
  }
  return Status::Ok();
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes) {
  return WriteFileAtomicStream(path, [&](std::ostream& os) {
    os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return Status::Ok();
  });
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::UserF("cannot read '{}': no such file", path.string());
    return Status::UserF("cannot read '{}': {}", path.string(), ErrnoText(err));
  }
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
    ::close(fd);
    return Status::UserF("cannot read '{}': it is not a regular file", path.string());
  }
  // Regular files are read straight into a string of their size (no second copy of a big model);
  // pipes and special files report size 0 and are read in chunks until EOF.
  std::string out(S_ISREG(sb.st_mode) ? static_cast<size_t>(sb.st_size) : 0, '\0');
  size_t len = 0;
  char chunk[1 << 16];
  for (;;) {
    const bool into_out = len < out.size();
    char* dst = into_out ? out.data() + len : chunk;
    const size_t want = into_out ? out.size() - len : sizeof(chunk);
    ssize_t r = ::read(fd, dst, want);
    if (r < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Status::UserF("cannot read '{}': {}", path.string(), ErrnoText(err));
    }
    if (r == 0) break;
    if (!into_out) {
      out.resize(len);
      out.append(chunk, static_cast<size_t>(r));
    }
    len += static_cast<size_t>(r);
  }
  out.resize(len);
  ::close(fd);
  return out;
}

}  // namespace samq::io
