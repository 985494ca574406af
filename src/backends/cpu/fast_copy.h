// Shared pieces of the fast data-movement kernels (fast_transpose.cpp, fast_split_slice.cpp,
// fast_pad.cpp): views into an input's buffer, row copies with streaming stores, and the strided
// box copy they all reduce to.
//
// Why streaming stores: the SAM encoders move tensors of 10-150 MB (Hiera's first stage is
// 256x256x96 float32 = 25 MB per activation; its qkv split reads 150 MB), more than the 32 MB L3
// of the dev VM. An ordinary store first reads each destination line into the cache
// (read-for-ownership), so a copy moves three bytes over the memory bus per byte copied; a
// non-temporal store writes whole 64-byte lines straight to memory and moves two. On the 2-core
// AMD EPYC dev VM (bench --profile, 2 threads) that took Hiera's 50 MB NCHW <-> NHWC transpose
// from 5.2 ms to 3.2 ms and its 150 MB qkv split from 10.3 ms to 8.0 ms; but an output that fits
// in the L3 is then read back from memory by the next node, and 12-25 MB outputs got slower
// (12 MB transposes, 22-25 MB row copies). So the thresholds: 16 MB for the transpose tiles (each
// tile stores 16 lines far apart), 32 MB for row copies (sequential stores, which the core
// already handles well).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/tensor.h"

namespace samq::backends::fast {

// Outputs at least this large (bytes) are written with streaming stores where the layout allows.
constexpr int64_t kStreamTileBytes = int64_t{16} << 20;  // tiled transposes (fast_transpose.cpp)
constexpr int64_t kStreamRowBytes = int64_t{32} << 20;   // row copies, fills

// True when the CPU has AVX-512F (the streaming copy and the float32 transpose tiles use it).
bool CpuHasAvx512();

// Whether an output of `bytes` should be written with streaming stores on this CPU: by the tiled
// transpose, and by row copies.
inline bool UseStreamingStores(int64_t bytes) { return bytes >= kStreamTileBytes && CpuHasAvx512(); }
inline bool UseStreamingRows(int64_t bytes) { return bytes >= kStreamRowBytes && CpuHasAvx512(); }

// dst[0, n) = src[0, n). With `stream`, the whole 64-byte lines of dst are written with
// non-temporal stores (the ragged head and tail with ordinary ones); the caller must call
// StreamFence() before another thread reads dst.
void CopyRun(void* dst, const void* src, size_t n, bool stream);
void StreamFence();

// `count` rows of `row_bytes` from src (rows `src_stride` bytes apart) to dst (rows adjacent).
// Rows of up to 8 whole 64-byte lines are moved with AVX-512, loading a whole row before storing
// it (see fast_copy.cpp); others with memcpy, or CopyRun with `stream`.
void CopyRows(uint8_t* dst, const uint8_t* src, int64_t count, int64_t row_bytes, int64_t src_stride, bool stream);

// A tensor of `shape` (same dtype) whose data starts `byte_offset` bytes after in.raw(), sharing
// in's buffer: what Split, Slice and Transpose return when their output is a contiguous piece of
// the input in the same order, so nothing is copied.
Tensor ViewOf(const Tensor& in, Shape shape, size_t byte_offset);

// Drops size-1 dims of a box (dims, element strides) and merges neighbours that the source walks
// contiguously (stride[k-1] == stride[k] * dims[k]). The result has no dims for a single element.
void MergeBox(const Shape& dims, const Shape& strides, Shape* merged_dims, Shape* merged_strides);

// out (dense, `out_dims`)[i0, i1, ...] = in[in_offset + sum_k i_k * in_strides[k]], elements of
// `elem` bytes, strides in elements. When the merged innermost dim has stride 1, its rows are
// copied with CopyRows and spread over the threads; otherwise (Slice with steps other than 1) this
// is StridedCopyBytes of backends/reference.
void CopyBoxRows(const void* in, int64_t in_offset, const Shape& in_strides, const Shape& out_dims,
                 size_t elem, void* out);

}  // namespace samq::backends::fast
