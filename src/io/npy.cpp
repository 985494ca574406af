// NumPy .npy reader and writer (format versions 1.0, 2.0, 3.0; see numpy/lib/format.py's docs).
//
// Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0),
// then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded
// with spaces and a final '\n', then the raw little-endian C-order data.
#include "io/npy.h"

#include <cctype>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "core/float_convert.h"
#include "io/atomic_file.h"

namespace samq::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// No real array has more dims than this (numpy's own limit is 64).
constexpr size_t kMaxRank = 64;

struct Header {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  bool has_descr = false, has_fortran = false, has_shape = false;
};

// A minimal parser for the Python literal numpy writes. Only what the format allows is accepted.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  Result<Header> Parse() {
    Header h;
    SkipSpace();
    if (!Eat('{')) return Err("header is not a Python dict");
    for (;;) {
      SkipSpace();
      if (Eat('}')) break;
      SAMQ_ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      if (!Eat(':')) return Err("expected ':' after key '" + key + "'");
      SkipSpace();
      if (key == "descr") {
        if (h.has_descr) return Err("duplicate key 'descr'");
        if (Peek() == '[') return Err("structured dtypes are not supported");
        SAMQ_ASSIGN_OR_RETURN(h.descr, ParseString());
        h.has_descr = true;
      } else if (key == "fortran_order") {
        if (h.has_fortran) return Err("duplicate key 'fortran_order'");
        SAMQ_ASSIGN_OR_RETURN(h.fortran_order, ParseBool());
        h.has_fortran = true;
      } else if (key == "shape") {
        if (h.has_shape) return Err("duplicate key 'shape'");
        SAMQ_ASSIGN_OR_RETURN(h.shape, ParseShape());
        h.has_shape = true;
      } else {
        return Err("unexpected key '" + key + "' in header");
      }
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat('}')) break;
      return Err("expected ',' or '}' in header");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Err("unexpected text after the header dict");
    if (!h.has_descr || !h.has_fortran || !h.has_shape)
      return Err("header must have the keys 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  Status Err(const std::string& what) const {
    return Status::UserF("'{}' is not a valid .npy file: {}", file_, what);
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Eat(char c) {
    if (Peek() != c || pos_ >= s_.size()) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  Result<std::string> ParseString() {
    const char q = Peek();
    if (q != '\'' && q != '"') return Err("expected a quoted string in header");
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\') return Err("escapes are not expected in header strings");
      out += s_[pos_++];
    }
    if (!Eat(q)) return Err("unterminated string in header");
    return out;
  }
  Result<bool> ParseBool() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    return Err("'fortran_order' must be True or False");
  }
  Result<Shape> ParseShape() {
    if (!Eat('(')) return Err("'shape' must be a tuple");
    Shape shape;
    for (;;) {
      SkipSpace();
      if (Eat(')')) break;
      if (!std::isdigit(static_cast<unsigned char>(Peek())))
        return Err("'shape' must hold non-negative integers");
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(Peek()))) {
        const int digit = s_[pos_++] - '0';
        if (v > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return Err("a dimension in 'shape' is too large");
        v = v * 10 + digit;
      }
      if (Peek() == 'L') ++pos_;  // Python 2 long suffix, written by old numpy versions
      shape.push_back(v);
      if (shape.size() > kMaxRank) return Err("'shape' has more than 64 dimensions");
      SkipSpace();
      if (Eat(',')) continue;
      SkipSpace();
      if (Eat(')')) break;
      return Err("malformed 'shape' tuple");
    }
    return shape;
  }

  std::string_view s_;
  size_t pos_ = 0;
  const std::string& file_;
};

// descr ("<f4") -> DType. Byte-order characters: '<' little, '|' not applicable, '=' native
// (samq only runs on little-endian hosts), '>' big endian: refused for multi-byte types.
Result<DType> DTypeFromDescr(const std::string& descr, const std::string& file) {
  auto bad = [&](const std::string& why) {
    return Status::UserF(
        "'{}': unsupported .npy dtype '{}': {}; supported: <f4 <f8 <f2 |u1 |i1 "
        "<i2 <u2 <i4 <u4 <i8 <u8 |b1",
        file, descr, why);
  };
  if (descr.size() < 3) return bad("malformed type string");
  const char order = descr[0];
  const std::string code = descr.substr(1);
  struct Entry {
    const char* code;
    DType dtype;
  };
  static constexpr Entry kTable[] = {
      {"f4", DType::kFloat32}, {"f8", DType::kFloat64}, {"f2", DType::kFloat16},
      {"u1", DType::kUInt8},   {"i1", DType::kInt8},    {"i2", DType::kInt16},
      {"u2", DType::kUInt16},  {"i4", DType::kInt32},   {"u4", DType::kUInt32},
      {"i8", DType::kInt64},   {"u8", DType::kUInt64},  {"b1", DType::kBool},
  };
  std::optional<DType> found;
  for (const auto& e : kTable)
    if (code == e.code) found = e.dtype;
  if (!found) return bad("unknown type code");
  const bool one_byte = dtype_size(*found) == 1;
  if (order == '>' && !one_byte) return bad("big-endian data is not supported");
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return bad("bad byte-order mark");
  return *found;
}

// The descr samq writes for a dtype, and the dtype actually stored (formats numpy lacks are
// widened: bf16/fp8 -> float32 values, int4/uint4 -> one byte per element as in memory).
std::pair<const char*, DType> DescrFor(DType t) {
  switch (t) {
    case DType::kFloat32: return {"<f4", t};
    case DType::kFloat64: return {"<f8", t};
    case DType::kFloat16: return {"<f2", t};
    case DType::kUInt8: return {"|u1", t};
    case DType::kInt8: return {"|i1", t};
    case DType::kInt16: return {"<i2", t};
    case DType::kUInt16: return {"<u2", t};
    case DType::kInt32: return {"<i4", t};
    case DType::kUInt32: return {"<u4", t};
    case DType::kInt64: return {"<i8", t};
    case DType::kUInt64: return {"<u8", t};
    case DType::kBool: return {"|b1", t};
    case DType::kInt4: return {"|i1", DType::kInt8};
    case DType::kUInt4: return {"|u1", DType::kUInt8};
    case DType::kBFloat16:
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E5M2: return {"<f4", DType::kFloat32};
    default: return {nullptr, DType::kUndefined};
  }
}

uint32_t ReadLE(const unsigned char* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Result<Tensor> ParseNpy(const std::string& bytes, const std::string& name) {
  auto invalid = [&](const std::string& why) {
    return Status::UserF("'{}' is not a valid .npy file: {}", name, why);
  };
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < kMagicLen + 2 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    return invalid("missing the \\x93NUMPY magic");
  const int major = u[6], minor = u[7];
  if (minor != 0 || (major < 1 || major > 3))
    return invalid("unsupported format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicLen + 2 + len_bytes;
  if (bytes.size() < prefix) return invalid("truncated header");
  const size_t header_len = ReadLE(u + 8, static_cast<int>(len_bytes));
  if (header_len > bytes.size() - prefix) return invalid("truncated header");
  const std::string_view header(bytes.data() + prefix, header_len);

  SAMQ_ASSIGN_OR_RETURN(Header h, HeaderParser(header, name).Parse());
  if (h.fortran_order)
    return Status::UserF(
        "'{}': Fortran-order .npy arrays are not supported (save with "
        "np.ascontiguousarray)",
        name);
  SAMQ_ASSIGN_OR_RETURN(DType dtype, DTypeFromDescr(h.descr, name));

  const size_t data_size = bytes.size() - prefix - header_len;
  const size_t item = dtype_size(dtype);
  // Check the element count against the data before allocating: a hostile shape such as
  // (2**40, 2**40) must be an error, not an overflow or a huge allocation.
  size_t numel = 1;
  for (int64_t d : h.shape) {
    if (d != 0 && numel > std::numeric_limits<size_t>::max() / item / static_cast<size_t>(d))
      return invalid("shape " + shape_str(h.shape) + " is too large");
    numel *= static_cast<size_t>(d);
  }
  const size_t need = numel * item;
  if (need != data_size)
    return invalid(fmt::format("shape {} of {} needs {} data bytes, but the file has {}",
                               shape_str(h.shape), dtype_name(dtype), need, data_size));

  Tensor t = Tensor::Zeros(dtype, h.shape);
  if (need) std::memcpy(t.raw(), bytes.data() + prefix + header_len, need);
  if (dtype == DType::kBool) {
    // numpy writes 0/1; normalize anything else so bool tensors hold only 0 or 1.
    auto* b = t.data<uint8_t>();
    for (size_t i = 0; i < numel; ++i) b[i] = b[i] ? 1 : 0;
  }
  return t;
}

Result<Tensor> ReadNpy(const std::filesystem::path& path) {
  SAMQ_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParseNpy(bytes, path.string());
}

std::string SerializeNpy(const Tensor& t) {
  const auto [descr, stored] = DescrFor(t.dtype());
  if (!descr) return {};
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) {
    if (i) shape += ", ";
    shape += std::to_string(t.shape()[i]);
  }
  if (t.shape().size() == 1) shape += ",";
  shape += ")";
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  // Pad with spaces so that magic + version + length + header is a multiple of 64, ending in '\n'.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = v2 ? 12 : 10;
  const size_t total = ((prefix + dict.size() + 1 + 63) / 64) * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicLen);
  out += static_cast<char>(v2 ? 2 : 1);
  out += '\0';
  const uint32_t hl = static_cast<uint32_t>(dict.size());
  for (size_t i = 0; i < (v2 ? 4u : 2u); ++i) out += static_cast<char>((hl >> (8 * i)) & 0xff);
  out += dict;

  const int64_t n = t.numel();
  if (stored == t.dtype()) {
    out.append(static_cast<const char*>(t.raw()), t.nbytes());
  } else if (stored == DType::kFloat32) {
    std::vector<float> f(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      f[i] = static_cast<float>(element_as_double(t.dtype(), t.raw(), i));
    out.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
  } else {
    // int4/uint4 are already one element per byte in memory.
    out.append(static_cast<const char*>(t.raw()), static_cast<size_t>(n));
  }
  return out;
}

Status WriteNpy(const std::filesystem::path& path, const Tensor& t) {
  if (!DescrFor(t.dtype()).first)
    return Status::UserF("cannot write '{}': dtype {} has no .npy equivalent", path.string(),
                         dtype_name(t.dtype()));
  return WriteFileAtomic(path, SerializeNpy(t));
}

}  // namespace samq::io
