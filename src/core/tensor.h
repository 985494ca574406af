// Tensor: a dtype, a shape and a reference-counted byte buffer (dense, row-major, C order).
//
// Tensors are cheap to copy (they share the buffer). Views that only change the shape (Reshape,
// Squeeze, Identity) share the buffer too; a kernel that writes must own a fresh output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace samq {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);  // product of dims; 1 for a scalar (rank 0)
std::string shape_str(const Shape& s);  // "1x3x1024x1024", "scalar"

// A block of bytes, 64-byte aligned when samq allocated it. `release` frees or recycles it
// (a buffer pool returns it to its free list; a memory-mapped file unmaps it).
class Buffer {
 public:
  Buffer(void* data, size_t size, std::function<void(void*, size_t)> release)
      : data_(data), size_(size), release_(std::move(release)) {}
  ~Buffer() {
    if (release_) release_(data_, size_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() const { return data_; }
  size_t size() const { return size_; }

  // Fresh, zero-initialized, 64-byte aligned memory.
  static std::shared_ptr<Buffer> Allocate(size_t size);

 private:
  void* data_;
  size_t size_;
  std::function<void(void*, size_t)> release_;
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape, std::shared_ptr<Buffer> buffer, size_t offset = 0)
      : dtype_(dtype), shape_(std::move(shape)), buffer_(std::move(buffer)), offset_(offset) {}

  // New zero-filled tensor.
  static Tensor Zeros(DType dtype, Shape shape);
  // New tensor holding a copy of `values`.
  template <typename T>
  static Tensor FromVector(Shape shape, const std::vector<T>& values);
  template <typename T>
  static Tensor Scalar(T value) { return FromVector<T>({}, {value}); }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return buffer_ ? static_cast<char*>(buffer_->data()) + offset_ : nullptr; }
  const void* raw() const {
    return buffer_ ? static_cast<const char*>(buffer_->data()) + offset_ : nullptr;
  }
  template <typename T> T* data() { return static_cast<T*>(raw()); }
  template <typename T> const T* data() const { return static_cast<const T*>(raw()); }
  template <typename T> std::span<const T> values() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }

  // Same buffer, another shape with the same number of elements.
  Tensor Reshaped(Shape shape) const { return Tensor(dtype_, std::move(shape), buffer_, offset_); }
  // Deep copy into a fresh buffer.
  Tensor Clone() const;
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }

  // Elements as int64 (for shape-like inputs: int32/int64/uint8...); empty if not integer.
  std::vector<int64_t> AsInt64Vector() const;
  // Elements converted to float64 (any numeric dtype); used by tests and reports.
  std::vector<double> AsDoubleVector() const;

 private:
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  std::shared_ptr<Buffer> buffer_;
  size_t offset_ = 0;
};

template <typename T>
Tensor Tensor::FromVector(Shape shape, const std::vector<T>& values) {
  Tensor t = Zeros(DTypeOf<T>::value, std::move(shape));
  T* d = t.data<T>();
  for (size_t i = 0; i < values.size() && i < static_cast<size_t>(t.numel()); ++i) d[i] = values[i];
  return t;
}

}  // namespace samq
