#include "backends/cpu/fast_copy.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/reference/shape_util.h"
#include "core/parallel.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SAMQ_HAVE_AVX512_PATH 1
#endif

namespace samq::backends::fast {
namespace {

#ifdef SAMQ_HAVE_AVX512_PATH
const bool kAvx512 = __builtin_cpu_supports("avx512f");

__attribute__((target("avx512f"))) void StreamCopyAvx512(uint8_t* d, const uint8_t* s, size_t n) {
  // Ordinary stores up to the first 64-byte boundary of dst, so every streaming store is aligned.
  size_t head = (64 - reinterpret_cast<uintptr_t>(d) % 64) % 64;
  if (head > n) head = n;
  std::memcpy(d, s, head);
  d += head;
  s += head;
  n -= head;
  for (; n >= 64; n -= 64, d += 64, s += 64)
    _mm512_stream_si512(reinterpret_cast<__m512i*>(d), _mm512_loadu_si512(s));
  std::memcpy(d, s, n);
}
#else
const bool kAvx512 = false;
#endif

#ifdef SAMQ_HAVE_AVX512_PATH
// `count` rows of 64 * L bytes, the source rows `src_stride` bytes apart. For the 128-512 byte
// rows of head splits ([B, N, heads, 32] -> [B, heads, N, 32]) a memcpy call per row costs about
// as much as the data. All L lines of a row are loaded before any is stored: interleaved 64-byte
// load/store pairs ran 1.6x slower than memcpy here (loads stalled behind the stores of the
// previous row, likely 4K aliasing: the source rows are 9 KB apart, the destination rows
// adjacent), while this order ran 1.2-1.6x faster than memcpy (ViT-B's and MobileSAM's head
// splits, one thread).
// With `stream` (dst 64-byte aligned), the stores are non-temporal.
template <int L, bool kStream>
__attribute__((target("avx512f"))) void CopyLineRowsAvx512(uint8_t* dst, const uint8_t* src, int64_t count,
                                                           int64_t src_stride) {
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* s = src + i * src_stride;
    uint8_t* d = dst + i * (L * 64);
    __m512i v[L];
    for (int c = 0; c < L; ++c) v[c] = _mm512_loadu_si512(s + c * 64);
    for (int c = 0; c < L; ++c) {
      if constexpr (kStream) _mm512_stream_si512(reinterpret_cast<__m512i*>(d + c * 64), v[c]);
      else _mm512_storeu_si512(d + c * 64, v[c]);
    }
  }
}

template <bool kStream>
bool CopyLineRowsOf(uint8_t* dst, const uint8_t* src, int64_t count, int64_t lines, int64_t src_stride) {
  switch (lines) {
    case 1: CopyLineRowsAvx512<1, kStream>(dst, src, count, src_stride); return true;
    case 2: CopyLineRowsAvx512<2, kStream>(dst, src, count, src_stride); return true;
    case 3: CopyLineRowsAvx512<3, kStream>(dst, src, count, src_stride); return true;
    case 4: CopyLineRowsAvx512<4, kStream>(dst, src, count, src_stride); return true;
    case 5: CopyLineRowsAvx512<5, kStream>(dst, src, count, src_stride); return true;
    case 6: CopyLineRowsAvx512<6, kStream>(dst, src, count, src_stride); return true;
    case 7: CopyLineRowsAvx512<7, kStream>(dst, src, count, src_stride); return true;
    case 8: CopyLineRowsAvx512<8, kStream>(dst, src, count, src_stride); return true;
    default: return false;
  }
}

// Whether CopyLineRowsAvx512 handled the rows (1 to 8 whole lines, AVX-512 present, and for
// streaming stores an aligned destination).
bool CopyLineRows(uint8_t* dst, const uint8_t* src, int64_t count, int64_t row_bytes, int64_t src_stride,
                  bool stream) {
  if (!kAvx512 || row_bytes % 64 != 0) return false;
  if (stream) {
    if (reinterpret_cast<uintptr_t>(dst) % 64 != 0) return false;
    return CopyLineRowsOf<true>(dst, src, count, row_bytes / 64, src_stride);
  }
  return CopyLineRowsOf<false>(dst, src, count, row_bytes / 64, src_stride);
}
#else
bool CopyLineRows(uint8_t*, const uint8_t*, int64_t, int64_t, int64_t, bool) { return false; }
#endif

}  // namespace

bool CpuHasAvx512() { return kAvx512; }

void CopyRows(uint8_t* dst, const uint8_t* src, int64_t count, int64_t row_bytes, int64_t src_stride, bool stream) {
  if (CopyLineRows(dst, src, count, row_bytes, src_stride, stream)) return;
  const size_t n = static_cast<size_t>(row_bytes);
  if (stream) {
    for (int64_t i = 0; i < count; ++i) CopyRun(dst + i * row_bytes, src + i * src_stride, n, true);
  } else {
    for (int64_t i = 0; i < count; ++i) std::memcpy(dst + i * row_bytes, src + i * src_stride, n);
  }
}

void CopyRun(void* dst, const void* src, size_t n, bool stream) {
#ifdef SAMQ_HAVE_AVX512_PATH
  if (stream && kAvx512 && n >= 128) {
    StreamCopyAvx512(static_cast<uint8_t*>(dst), static_cast<const uint8_t*>(src), n);
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

void StreamFence() {
#ifdef SAMQ_HAVE_AVX512_PATH
  _mm_sfence();
#endif
}

Tensor ViewOf(const Tensor& in, Shape shape, size_t byte_offset) {
  const size_t base = static_cast<size_t>(static_cast<const uint8_t*>(in.raw()) -
                                          static_cast<const uint8_t*>(in.buffer()->data()));
  return Tensor(in.dtype(), std::move(shape), in.buffer(), base + byte_offset);
}

void MergeBox(const Shape& dims, const Shape& strides, Shape* merged_dims, Shape* merged_strides) {
  merged_dims->clear();
  merged_strides->clear();
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] == 1) continue;
    if (!merged_dims->empty() && merged_strides->back() == strides[k] * dims[k]) {
      merged_dims->back() *= dims[k];
      merged_strides->back() = strides[k];
    } else {
      merged_dims->push_back(dims[k]);
      merged_strides->push_back(strides[k]);
    }
  }
}

void CopyBoxRows(const void* in, int64_t in_offset, const Shape& in_strides, const Shape& out_dims,
                 size_t elem, void* out) {
  const int64_t numel = shape_numel(out_dims);
  if (numel <= 0) return;
  Shape dims, strides;
  MergeBox(out_dims, in_strides, &dims, &strides);
  const auto* src = static_cast<const uint8_t*>(in) + in_offset * static_cast<int64_t>(elem);
  auto* dst = static_cast<uint8_t*>(out);
  const int64_t total_bytes = numel * static_cast<int64_t>(elem);
  if (dims.empty()) {
    std::memcpy(dst, src, elem);
    return;
  }
  if (strides.back() != 1) {  // a strided innermost run (Slice with steps): the shared element loop
    StridedCopyBytes(in, in_offset, in_strides, out_dims, elem, out);
    return;
  }
  const bool stream = UseStreamingRows(total_bytes);
  const int r = static_cast<int>(dims.size());
  const int64_t row_bytes = dims[r - 1] * static_cast<int64_t>(elem);
  const int64_t rows = numel / dims[r - 1];
  // Rows are walked in runs along dims[r-2] (one source stride), the other dims by counters.
  const int64_t run_len = r >= 2 ? dims[r - 2] : 1;
  const int64_t run_stride = (r >= 2 ? strides[r - 2] : 0) * static_cast<int64_t>(elem);
  // About 64 KiB per chunk: enough to hide the cost of waking a thread.
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / row_bytes);
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    // Counters over dims[0, r-1) for row `begin`.
    std::vector<int64_t> idx(std::max(r - 1, 1), 0);
    int64_t off = 0, rem = begin;
    for (int k = r - 2; k >= 0; --k) {
      idx[k] = rem % dims[k];
      rem /= dims[k];
      off += idx[k] * strides[k];
    }
    for (int64_t row = begin; row < end;) {
      const int64_t j = r >= 2 ? idx[r - 2] : 0;
      const int64_t n = std::min(run_len - j, end - row);
      CopyRows(dst + row * row_bytes, src + off * static_cast<int64_t>(elem), n, row_bytes, run_stride, stream);
      row += n;
      // Advance the counters by n rows: to the end of this run, or past it to the next one.
      if (r < 2) break;
      if (j + n < run_len) {
        idx[r - 2] += n;
        off += n * strides[r - 2];
        continue;
      }
      off -= j * strides[r - 2];
      idx[r - 2] = 0;
      for (int k = r - 3; k >= 0; --k) {
        off += strides[k];
        if (++idx[k] < dims[k]) break;
        off -= idx[k] * strides[k];
        idx[k] = 0;
      }
    }
    if (stream) StreamFence();
  });
}

}  // namespace samq::backends::fast
