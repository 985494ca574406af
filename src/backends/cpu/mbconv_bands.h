// The row-band walk shared by fast.MBConv (fast_mbconv.cpp) and fast.QMBConv (fast_qmbconv.cpp).
//
// Each task owns a contiguous band of output rows of one image and walks down it `step` rows at
// a time. A step needs the expanded rows its depthwise windows cover; those it already had from
// the previous step (the window overlap: K - S rows) move to the front of a per-task row buffer
// and only the new rows are expanded. The buffer holds E channels of `cap` rows of W floats
// (channel e at ex + e * cap * W). The band's first step also expands the rows above the band
// (computed twice at band borders: 1-2 rows per band).
//
//   expand(scratch, n, first_row, rows, dst): writes expanded input rows [first_row, first_row +
//       rows) of image n at dst (channel stride cap * W);
//   finish(scratch, n, o0, rows, ex, buf_rows, pad_rows): computes output rows [o0, o0 + rows)
//       from the buffer, which holds buf_rows expanded rows; output row o0 + i reads buffer row
//       i * S + ki - pad_rows (rows outside the buffer are zero padding).
// Scratch is default-constructed once per task chunk (per-thread working memory of the callbacks).
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "backends/cpu/mbconv.h"
#include "core/parallel.h"
#include "core/status.h"

namespace samq::backends::fast {

// Output rows per step: as many as keep a step's buffers near `step_bytes`, given the bytes one
// output row costs.
inline int64_t MBConvStepRows(const MBConvDims& d, int64_t row_bytes, int64_t step_bytes) {
  return std::clamp<int64_t>(step_bytes / std::max<int64_t>(row_bytes, 1) - 1, 1, d.oh);
}

// Expanded rows one step can need.
inline int64_t MBConvStepCap(const MBConvDims& d, int64_t step) { return (step - 1) * d.stride + d.k; }

template <typename Scratch, typename Expand, typename Finish>
Status ForEachMBConvStep(const MBConvDims& d, int64_t step, Expand expand, Finish finish) {
  const int64_t s = d.stride, k = d.k, cap = MBConvStepCap(d, step);
  // Bands: enough for every thread, at least 2*step rows each so the recomputed rows stay few.
  const int64_t bands =
      std::clamp<int64_t>((num_threads() + d.n - 1) / d.n, 1, std::max<int64_t>(1, d.oh / (2 * step)));
  std::vector<Status> errors(static_cast<size_t>(d.n * bands), Status::Ok());
  parallel_for(d.n * bands, 1, [&](int64_t t0, int64_t t1) {
    Scratch scratch;
    std::vector<float> ex(static_cast<size_t>(d.e * cap * d.w));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / bands, band = t % bands;
      const int64_t o_begin = d.oh * band / bands, o_end = d.oh * (band + 1) / bands;
      int64_t buf_lo = 0, buf_rows = 0;  // ex holds expanded input rows [buf_lo, buf_lo + buf_rows)
      for (int64_t o0 = o_begin; o0 < o_end; o0 += step) {
        const int64_t rows = std::min(step, o_end - o0);
        const int64_t first = o0 * s - d.pad_top;  // input row under the first window's top tap
        const int64_t lo = std::max<int64_t>(0, first);
        const int64_t hi = std::min<int64_t>(d.h, (o0 + rows - 1) * s - d.pad_top + k);  // exclusive
        // Keep the rows this step shares with the last one, at the front of each channel.
        int64_t kept = 0;
        if (buf_rows > 0 && lo >= buf_lo && lo < buf_lo + buf_rows) {
          kept = std::min(buf_lo + buf_rows, hi) - lo;
          if (lo > buf_lo)
            for (int64_t e = 0; e < d.e; ++e) {
              float* ch = ex.data() + e * cap * d.w;
              std::memmove(ch, ch + (lo - buf_lo) * d.w, static_cast<size_t>(kept * d.w) * sizeof(float));
            }
        }
        if (hi - lo - kept > 0) {
          Status st = expand(scratch, n, lo + kept, hi - lo - kept, ex.data() + kept * d.w);
          if (!st.ok()) {
            errors[t] = std::move(st);
            return;
          }
        }
        buf_lo = lo;
        buf_rows = hi - lo;
        Status st = finish(scratch, n, o0, rows, static_cast<const float*>(ex.data()), buf_rows, lo - first);
        if (!st.ok()) {
          errors[t] = std::move(st);
          return;
        }
      }
    }
  });
  for (auto& st : errors)
    if (!st.ok()) return st;
  return Status::Ok();
}

}  // namespace samq::backends::fast
