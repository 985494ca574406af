// A strided view of a dense row-major tensor: how a chain of pure layout ops (Reshape,
// Transpose, Squeeze, Unsqueeze, Flatten, one output of a Split) rearranges the source's
// elements, without moving them. passes/fold_attention_layouts uses it to let com.samq Attention
// read Q, K and V straight out of the qkv projection and write Y where the graph's final
// Reshape would put it.
//
// Each logical dim is a list of (size, stride) factors, outermost first: a Reshape that merges
// dims which are not adjacent in memory (a Transpose before it) keeps them as separate factors
// instead of failing, so element (i0, i1, ...) is at offset + sum over dims of the mixed-radix
// digits of i_d times the factor strides. Strides are in elements.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/tensor.h"

namespace samq::passes {

struct ViewFactor {
  int64_t size = 1;
  int64_t stride = 0;
  bool operator==(const ViewFactor&) const = default;
};

class StridedView {
 public:
  // The whole of a dense row-major tensor of these dims.
  static StridedView Dense(const Shape& dims);

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  Shape shape() const;
  int64_t offset() const { return offset_; }
  // The factors of dim `d` (empty for a dim of size 1), merged where they are contiguous.
  const std::vector<ViewFactor>& factors(int64_t d) const { return dims_[d]; }
  // The single stride of dim `d`, or nullopt when it is made of several factors (size-1 dims: 0).
  std::optional<int64_t> stride(int64_t d) const;

  // Each returns nullopt when the op's arguments do not fit the view (or the reshape cannot be
  // expressed, which with factors only happens when a factor would have to be split unevenly).
  std::optional<StridedView> Reshape(const Shape& dims) const;
  std::optional<StridedView> Transpose(const std::vector<int64_t>& perm) const;
  // Elements [start, start + len) of dim `axis` (a Split output or a Slice with step 1).
  std::optional<StridedView> Narrow(int64_t axis, int64_t start, int64_t len) const;
  // Dims [first, last) flattened into one, with all their factors (outer to inner).
  std::optional<StridedView> MergeDims(int64_t first, int64_t last) const;

  // The largest offset any element reaches (offset for an empty view is -1): bounds checks.
  int64_t MaxOffset() const;

 private:
  static std::vector<ViewFactor> Simplified(std::vector<ViewFactor> f);
  std::vector<std::vector<ViewFactor>> dims_;
  int64_t offset_ = 0;
  bool empty_ = false;  // some dim has size 0
};

}  // namespace samq::passes
