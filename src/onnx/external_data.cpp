#include "onnx/external_data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "onnx/tensor_proto.h"

namespace samq::onnx {
namespace fs = std::filesystem;

namespace {

// Views into a mapping are only handed out at offsets kernels can treat like samq's own buffers.
constexpr uint64_t kViewAlignment = 64;
// Small tensors are copied: a view would keep a whole multi-GB mapping alive for a few bytes.
constexpr uint64_t kMinViewBytes = 4096;

Result<uint64_t> ParseUnsigned(const std::string& text, const char* key, const std::string& what) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end)
    return Status::UserF("{}: external_data '{}' is '{}', not a non-negative integer", what, key,
                         text);
  return v;
}

// True when `inner` (canonical) is `outer` (canonical) or inside it.
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace

Result<ExternalRef> ParseExternalRef(const onnxpb::TensorProto& tp, const std::string& what) {
  ExternalRef ref;
  bool has_location = false;
  for (const auto& e : tp.external_data()) {
    if (e.key() == "location") {
      ref.location = e.value();
      has_location = true;
    } else if (e.key() == "offset") {
      SAMQ_ASSIGN_OR_RETURN(ref.offset, ParseUnsigned(e.value(), "offset", what));
    } else if (e.key() == "length") {
      SAMQ_ASSIGN_OR_RETURN(uint64_t len, ParseUnsigned(e.value(), "length", what));
      ref.length = len;
    }
    // "checksum" and unknown keys are informational.
  }
  if (!has_location || ref.location.empty())
    return Status::UserF("{}: external data has no 'location'", what);
  return ref;
}

Result<Tensor> ZeroPlaceholder(DType dtype, const Shape& shape, const std::string& what) {
  const uint64_t bytes = static_cast<uint64_t>(shape_numel(shape)) * dtype_size(dtype);
  if (bytes > kMaxTensorBytes)
    return Status::UserF("{}: dims {} describe an absurdly large tensor", what, shape_str(shape));
  if (bytes < (1u << 20)) return Tensor::Zeros(dtype, shape);
  // Big placeholders: untouched anonymous pages are zero and take no memory, so a graph-only
  // ViT-H loads instantly; pages appear only when something writes the weights.
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return Status::UserF("{}: cannot reserve {} bytes for a placeholder", what, bytes);
  auto buf = std::make_shared<Buffer>(p, bytes, [](void* q, size_t n) { ::munmap(q, n); });
  return Tensor(dtype, shape, std::move(buf));
}

struct ExternalDataReader::File {
  fs::path path;  // canonical
  int fd = -1;
  uint64_t size = 0;
  std::shared_ptr<Buffer> mapping;  // null when the file is empty or mmap failed (then pread)
  ~File() {
    if (fd >= 0) ::close(fd);
  }
};

ExternalDataReader::ExternalDataReader(fs::path base_dir) : base_dir_(std::move(base_dir)) {
  if (base_dir_.empty()) base_dir_ = ".";
}

ExternalDataReader::~ExternalDataReader() = default;

Result<ExternalDataReader::File*> ExternalDataReader::Open(const std::string& location,
                                                           const std::string& what) {
  if (auto it = files_.find(location); it != files_.end()) return it->second.get();

  if (location.find('\0') != std::string::npos)
    return Status::UserF("{}: external data location contains a NUL character", what);
  const fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory())
    return Status::UserF(
        "{}: external data location '{}' is an absolute path; it must be "
        "relative to the model's folder",
        what, location);
  for (const auto& part : rel)
    if (part == "..")
      return Status::UserF("{}: external data location '{}' leaves the model's folder", what,
                           location);

  const fs::path full = base_dir_ / rel;
  std::error_code ec;
  if (!fs::exists(full, ec))
    return Status::UserF("{}: external data file '{}' not found", what, full.string());
  const fs::path canon = fs::canonical(full, ec);
  if (ec)
    return Status::UserF("{}: cannot resolve external data file '{}': {}", what, full.string(),
                         ec.message());
  const fs::path canon_base = fs::canonical(base_dir_, ec);
  if (ec || !IsWithin(canon, canon_base))
    return Status::UserF("{}: external data file '{}' resolves to '{}', outside the model's folder",
                         what, full.string(), canon.string());
  if (!fs::is_regular_file(canon, ec))
    return Status::UserF("{}: external data file '{}' is not a regular file", what, full.string());

  auto file = std::make_unique<File>();
  file->path = canon;
  file->fd = ::open(canon.c_str(), O_RDONLY | O_CLOEXEC);
  if (file->fd < 0)
    return Status::UserF("{}: cannot open external data file '{}': {}", what, full.string(),
                         std::strerror(errno));
  struct stat sb {};
  if (::fstat(file->fd, &sb) != 0)
    return Status::UserF("{}: cannot stat external data file '{}'", what, full.string());
  file->size = static_cast<uint64_t>(sb.st_size);
  if (file->size > 0) {
    // MAP_PRIVATE + PROT_WRITE: copy-on-write, so writes to a view never reach the file.
    void* p = ::mmap(nullptr, file->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file->fd, 0);
    if (p != MAP_FAILED)
      file->mapping =
          std::make_shared<Buffer>(p, file->size, [](void* q, size_t n) { ::munmap(q, n); });
  }
  File* raw = file.get();
  files_[location] = std::move(file);
  return raw;
}

Result<Tensor> ExternalDataReader::Read(const onnxpb::TensorProto& tp, DType dtype,
                                        const Shape& shape, const std::string& what) {
  if (tp.has_segment()) return Status::UserF("{}: segmented tensors are not supported", what);
  SAMQ_ASSIGN_OR_RETURN(ExternalRef ref, ParseExternalRef(tp, what));
  const int64_t numel = shape_numel(shape);
  const uint64_t need = FileBytes(dtype, numel);
  if (ref.length && *ref.length != need)
    return Status::UserF(
        "{}: external data length {} in '{}' does not match dims {} of {} ({} bytes)", what,
        *ref.length, ref.location, shape_str(shape), dtype_name(dtype), need);
  SAMQ_ASSIGN_OR_RETURN(File * f, Open(ref.location, what));
  if (ref.offset > f->size || need > f->size - ref.offset)
    return Status::UserF("{}: external data file '{}' is too short: needs bytes {}..{} but has {}",
                         what, f->path.string(), ref.offset, ref.offset + need, f->size);

  const bool plain_layout =
      dtype != DType::kInt4 && dtype != DType::kUInt4 && dtype != DType::kBool;
  if (f->mapping && plain_layout && need >= kMinViewBytes && ref.offset % kViewAlignment == 0)
    return Tensor(dtype, shape, f->mapping, static_cast<size_t>(ref.offset));

  Tensor t = Tensor::Zeros(dtype, shape);
  if (need == 0) return t;
  if (f->mapping) {
    DecodeFileBytes(dtype, numel, static_cast<const char*>(f->mapping->data()) + ref.offset,
                    t.raw());
    return t;
  }
  std::string bytes(static_cast<size_t>(need), '\0');
  uint64_t done = 0;
  while (done < need) {
    ssize_t r =
        ::pread(f->fd, bytes.data() + done, need - done, static_cast<off_t>(ref.offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return Status::UserF("{}: cannot read external data file '{}': {}", what, f->path.string(),
                           r < 0 ? std::strerror(errno) : "unexpected end of file");
    done += static_cast<uint64_t>(r);
  }
  DecodeFileBytes(dtype, numel, bytes.data(), t.raw());
  return t;
}

}  // namespace samq::onnx
