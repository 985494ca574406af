#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/float_convert.h"

namespace samq {

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s) {
  if (s.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += 'x';
    out += std::to_string(s[i]);
  }
  return out;
}

std::shared_ptr<Buffer> Buffer::Allocate(size_t size) {
  // Round up so that aligned_alloc's size rule holds and vector loads past the end stay inside.
  size_t padded = ((size + 63) / 64) * 64 + 64;
  void* p = std::aligned_alloc(64, padded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, padded);
  return std::make_shared<Buffer>(p, size, [](void* q, size_t) { std::free(q); });
}

Tensor Tensor::Zeros(DType dtype, Shape shape) {
  size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  return Tensor(dtype, std::move(shape), Buffer::Allocate(bytes));
}

Tensor Tensor::Clone() const {
  Tensor t = Zeros(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

std::vector<int64_t> Tensor::AsInt64Vector() const {
  std::vector<int64_t> out;
  const int64_t n = numel();
  out.reserve(n);
  switch (dtype_) {
    case DType::kInt64: for (int64_t i = 0; i < n; ++i) out.push_back(data<int64_t>()[i]); break;
    case DType::kInt32: for (int64_t i = 0; i < n; ++i) out.push_back(data<int32_t>()[i]); break;
    case DType::kInt16: for (int64_t i = 0; i < n; ++i) out.push_back(data<int16_t>()[i]); break;
    case DType::kUInt16: for (int64_t i = 0; i < n; ++i) out.push_back(data<uint16_t>()[i]); break;
    case DType::kInt8: case DType::kInt4:
      for (int64_t i = 0; i < n; ++i) out.push_back(data<int8_t>()[i]);
      break;
    case DType::kUInt8: case DType::kUInt4: case DType::kBool:
      for (int64_t i = 0; i < n; ++i) out.push_back(data<uint8_t>()[i]);
      break;
    case DType::kUInt32: for (int64_t i = 0; i < n; ++i) out.push_back(data<uint32_t>()[i]); break;
    case DType::kUInt64:
      for (int64_t i = 0; i < n; ++i) out.push_back(static_cast<int64_t>(data<uint64_t>()[i]));
      break;
    default: break;
  }
  return out;
}

std::vector<double> Tensor::AsDoubleVector() const {
  const int64_t n = numel();
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = element_as_double(dtype_, raw(), i);
  return out;
}

}  // namespace samq
