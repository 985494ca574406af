// Intra-op parallelism. oneDNN in Debian is built on OpenMP, so samq's own kernels use the same
// OpenMP runtime: one pool of threads, no oversubscription between two runtimes.
#pragma once

#include <cstdint>
#include <functional>

namespace samq {

// Threads used by parallel_for and oneDNN; 0 = all cores.
void set_num_threads(int threads);
int num_threads();

// Calls fn(begin, end) on disjoint chunks covering [0, n). Chunks are at least `grain` items so
// small loops stay on one thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace samq
