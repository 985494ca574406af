// Recycles intermediate buffers between nodes (and between runs): a tensor whose last reader has
// run drops its buffer, which returns here instead of to the heap, and the next allocation of a
// similar size takes it. Buffers outliving the pool are freed normally. A request that raises the
// in-use high-water mark first frees the held buffers, so recycling does not raise peak memory.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

#include "core/tensor.h"

namespace samq::rt {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  static std::shared_ptr<BufferPool> Create() { return std::shared_ptr<BufferPool>(new BufferPool); }
  ~BufferPool();
  // A tensor, zero-filled unless zero_fill is false (then its contents are unspecified); reuses a
  // free buffer of at least the size and at most twice it.
  Tensor Allocate(DType dtype, const Shape& shape, bool zero_fill = true);
  size_t bytes_held() const;   // free buffers kept for reuse
  size_t peak_bytes() const;   // largest total in use at once

 private:
  BufferPool() = default;
  void Return(void* p, size_t capacity);
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;  // capacity -> memory
  size_t held_ = 0, in_use_ = 0, peak_ = 0;
};

}  // namespace samq::rt
