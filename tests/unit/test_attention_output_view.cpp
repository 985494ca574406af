// OperandView::CoversEachElementOnce decides whether the attention kernels may skip zero-filling
// their output, so a wrong "yes" leaves uninitialized elements in Y. The oracle is the plain
// count: walk every (batch, row, col) of the view, count the hits per element of [0, numel), and
// the view covers each element once exactly when every count is 1 (and nothing lands outside).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "backends/cpu/sam_attention.h"

namespace samq {
namespace {

using backends::fast::OperandView;

bool CountSaysEachOnce(const OperandView& v, int64_t rows, int64_t cols, int64_t numel) {
  std::vector<int> hits(static_cast<size_t>(numel), 0);
  for (const int64_t base : v.BatchOffsets())
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t at = base + r * v.row_stride + c * v.col_stride;
        if (at < 0 || at >= numel) return false;
        ++hits[static_cast<size_t>(at)];
      }
  return std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; });
}

// Dims [b0, b1, rows, cols] in a random order of strides: a permuted dense layout.
OperandView Permuted(const std::vector<int64_t>& sizes, std::mt19937& gen) {
  std::vector<int> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), gen);
  std::vector<int64_t> strides(sizes.size());
  int64_t s = 1;
  for (const int d : order) {
    strides[d] = s;
    s *= sizes[d];
  }
  OperandView v;
  v.batch = {{sizes[0], strides[0]}, {sizes[1], strides[1]}};
  v.row_stride = strides[2];
  v.col_stride = strides[3];
  return v;
}

TEST(AttentionOutputView, PermutedDenseLayoutsCoverEachElementOnce) {
  std::mt19937 gen(3);
  std::uniform_int_distribution<int64_t> size(1, 5);
  for (int trial = 0; trial < 300; ++trial) {
    const std::vector<int64_t> sizes = {size(gen), size(gen), size(gen), size(gen)};
    const OperandView v = Permuted(sizes, gen);
    const int64_t numel = sizes[0] * sizes[1] * sizes[2] * sizes[3];
    EXPECT_TRUE(CountSaysEachOnce(v, sizes[2], sizes[3], numel));
    EXPECT_TRUE(v.CoversEachElementOnce(sizes[2], sizes[3], numel)) << "trial " << trial;
    // A larger output (padding the view skips) is not covered.
    EXPECT_FALSE(v.CoversEachElementOnce(sizes[2], sizes[3], numel + 1));
  }
}

TEST(AttentionOutputView, AgreesWithCountingOnRandomViews) {
  // Random strides and offsets: mostly overlapping or gapped views, some dense ones by chance.
  std::mt19937 gen(11);
  std::uniform_int_distribution<int64_t> size(1, 4), stride(0, 12), offset(0, 2);
  int covered = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    OperandView v;
    v.offset = offset(gen) == 0 ? 0 : offset(gen);
    v.batch = {{size(gen), stride(gen)}, {size(gen), stride(gen)}};
    v.row_stride = stride(gen);
    v.col_stride = stride(gen);
    const int64_t rows = size(gen), cols = size(gen);
    const int64_t span = v.MaxOffset(rows, cols) + 1;
    for (const int64_t numel : {span, span + 1, v.batch_count() * rows * cols}) {
      const bool want = CountSaysEachOnce(v, rows, cols, numel);
      covered += want;
      ASSERT_EQ(v.CoversEachElementOnce(rows, cols, numel), want)
          << "trial " << trial << " offset " << v.offset << " numel " << numel;
    }
  }
  EXPECT_GT(covered, 100);  // the random views did include covering ones
}

}  // namespace
}  // namespace samq
