// Small shared pieces of the oneDNN adapters: the process-wide CPU engine, a stream, descriptors
// of samq's dense row-major tensors, and a cache of per-shape state for kernels whose inputs
// change shape between runs (decoder shapes vary with the number of prompt points).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/tensor.h"
#include "runtime/kernel.h"

namespace samq::backends::onednn {

// One CPU engine for the whole process (creating one is not free, and primitives created on it
// can run on any thread).
const dnnl::engine& Engine();

// A CPU stream for the calling thread. oneDNN primitives may run concurrently on different
// threads, but a stream object is not meant to be shared between threads, so each thread keeps
// its own (cheap: with the OpenMP runtime, execution is synchronous on the calling thread).
dnnl::stream& ThreadStream();

dnnl::memory::dims ToDims(const Shape& s);
// float32, dense row-major (C order) strides over `dims`.
dnnl::memory::desc DenseDesc(const dnnl::memory::dims& dims);

// A memory object over a tensor's buffer (no copy). oneDNN takes a non-const handle even for
// inputs it only reads.
dnnl::memory Wrap(const dnnl::memory::desc& d, const Tensor& t);

// Copies `src` (in layout `from`) into a new buffer in layout `to`, once, at kernel creation or
// on the first run of a new shape: used for weight prepacking.
dnnl::memory ReorderToNew(const dnnl::memory::desc& from, const void* src,
                          const dnnl::memory::desc& to);

// Per-shape state, created on first sight of a shape. Kernels lock `mu` around lookup and
// execution: oneDNN's default (library-owned) scratchpad makes running one primitive object
// from two threads at once unsafe.
template <typename Entry>
class ShapeCache {
 public:
  // Bounded so a long-running process fed many shapes does not grow without limit.
  static constexpr size_t kMaxEntries = 64;
  std::mutex mu;
  Entry* Find(const Shape& key) {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second.get();
  }
  Entry* Insert(const Shape& key, std::unique_ptr<Entry> e) {
    if (entries_.size() >= kMaxEntries) entries_.clear();
    return (entries_[key] = std::move(e)).get();
  }

 private:
  std::map<Shape, std::unique_ptr<Entry>> entries_;
};

// Concatenated shapes, for cache keys.
Shape ShapeKey(std::initializer_list<const Shape*> shapes);

// "dtype float16" style reasons for declining.
std::string DtypeReason(DType t);

// What a kernel factory returns when it declines: nullptr, with the reason written to *why.
inline std::unique_ptr<rt::Kernel> Decline(std::string* why, std::string reason) {
  *why = std::move(reason);
  return nullptr;
}

}  // namespace samq::backends::onednn
