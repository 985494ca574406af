// Walking an output tensor and up to three NumPy-broadcast inputs together.
//
// The plan drops output dims of size 1 and merges neighbouring dims that every input walks the
// same way (dense with dense, broadcast with broadcast). What remains is usually one or two dims:
// same-shape operands become a single dense run, a scalar operand a run with stride 0, and
// "bias over the last dims" a short outer loop over dense inner runs. The walk then hands out
// runs along the innermost dim, where each input's stride is 0 or 1, so the element loops that
// kernels write over a run vectorize.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "core/parallel.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace samq::backends {

constexpr int kMaxBroadcastInputs = 3;

struct BroadcastPlan {
  Shape dims;  // merged output dims (rank >= 1 unless the output is empty)
  int num_inputs = 0;
  // Element strides of each input over `dims` (0 where the input is broadcast).
  std::array<std::vector<int64_t>, kMaxBroadcastInputs> strides;
  int64_t numel = 0;
  // Stride of input k along the innermost dim: 0 (broadcast) or 1 (dense).
  int64_t inner_stride(int k) const { return strides[k].back(); }
};

// `out` must be the broadcast of all `ins` (checked by the op's infer).
BroadcastPlan MakeBroadcastPlan(const Shape& out, const std::vector<const Shape*>& ins);

// Static/run-time type of a broadcasting op's output: the NumPy broadcast of inputs
// [first, first + count) (absent optional inputs skipped) with dtype `out`. Unknown ranks give an
// unknown-rank output; shapes that cannot broadcast are a user error naming the node.
Status InferBroadcastOutput(rt::InferContext& ctx, int first, int count, DType out);
// User error unless inputs [first, first + count) that are present have one dtype (unknown
// dtypes are skipped).
Status CheckSameInputDtypes(rt::InferContext& ctx, int first, int count);

// Calls fn(out_offset, in_offsets, n) for consecutive runs covering output elements
// [begin, end); within a run, input k advances by inner_stride(k) per element.
template <typename Fn>
void ForEachBroadcastRun(const BroadcastPlan& p, int64_t begin, int64_t end, Fn&& fn) {
  if (begin >= end) return;
  const int r = static_cast<int>(p.dims.size());
  std::vector<int64_t> idx(r);
  std::array<int64_t, kMaxBroadcastInputs> offs{};
  int64_t rem = begin;
  for (int i = r - 1; i >= 0; --i) {
    idx[i] = rem % p.dims[i];
    rem /= p.dims[i];
    for (int k = 0; k < p.num_inputs; ++k) offs[k] += idx[i] * p.strides[k][i];
  }
  const int64_t inner = p.dims[r - 1];
  int64_t pos = begin;
  while (pos < end) {
    const int64_t n = std::min(inner - idx[r - 1], end - pos);
    fn(pos, offs, n);
    pos += n;
    if (pos >= end) break;
    // Advance by n along the innermost dim, then carry into the outer dims.
    idx[r - 1] += n;
    for (int k = 0; k < p.num_inputs; ++k) offs[k] += n * p.strides[k][r - 1];
    for (int i = r - 1; i > 0 && idx[i] == p.dims[i]; --i) {
      idx[i] = 0;
      ++idx[i - 1];
      for (int k = 0; k < p.num_inputs; ++k)
        offs[k] += p.strides[k][i - 1] - p.dims[i] * p.strides[k][i];
    }
  }
}

// The same walk over the whole output, split across threads in chunks of at least `grain`
// elements (elementwise work is memory bound: small tensors stay on one thread).
template <typename Fn>
void ParallelBroadcastRuns(const BroadcastPlan& p, Fn&& fn, int64_t grain = 1 << 15) {
  parallel_for(p.numel, grain, [&](int64_t b, int64_t e) { ForEachBroadcastRun(p, b, e, fn); });
}

}  // namespace samq::backends
