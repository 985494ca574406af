#include "backends/cpu/int8_attention_operands.h"

#include <algorithm>
#include <cstring>

#include "backends/cpu/attention_code_pack.h"
#include "backends/cpu/fast_kernels.h"
#include "core/quantize_math.h"

namespace samq::backends::fast {
namespace {

typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t I16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef uint8_t U8x16 __attribute__((vector_size(16), aligned(1), may_alias));
typedef int8_t S8x16 __attribute__((vector_size(16), aligned(1), may_alias));
template <typename T>
struct Bytes16Of {
  using type = U8x16;
};
template <>
struct Bytes16Of<int8_t> {
  using type = S8x16;
};
template <typename T>
using Bytes16 = typename Bytes16Of<T>::type;

// The sum of the 16 lanes (tree order; integer sums do not depend on it).
inline int32_t LaneSum(I16 v) {
  int32_t s = 0;
  for (int l = 0; l < 16; ++l) s += v[l];
  return s;
}

// out[j] = l0[j], l1[j], l2[j], l3[j] interleaved: one depth group of the packed layout.
SAMQ_CLONES void InterleaveFour(const int8_t* l0, const int8_t* l1, const int8_t* l2, const int8_t* l3, int64_t n,
                                int8_t* dst) {
  for (int64_t j = 0; j < n; ++j) {
    dst[4 * j] = l0[j];
    dst[4 * j + 1] = l1[j];
    dst[4 * j + 2] = l2[j];
    dst[4 * j + 3] = l3[j];
  }
}

// Sizes a scratch vector, zero-filling it only when its size changes: what callers leave
// unwritten (padding) then stays zero from one batch to the next.
template <typename T>
void KeepOrZero(std::vector<T>* v, size_t n) {
  if (v->size() != n) v->assign(n, T{0});
}

}  // namespace

// The vector body computes QuantizeToFloat's result without its double clamp: t = x / scale +
// 1.5 * 2^23 rounds the quotient to an integer (ties to even; float's spacing there is 1) and,
// clamped to [2^23 * 1.5 + qmin - zp, ... + qmax - zp], its low mantissa bits are the code minus
// the zero point. Clamping after the add is the same as before it (the add is monotonic), huge
// quotients saturate, and NaN fails `t > lo` and lands on qmin, as in QuantizeLinear.
template <typename T>
SAMQ_CLONES void QuantizeOperandRows(const float* src, int64_t row_stride, int64_t col_stride, int64_t rows,
                                     int64_t n, const AttentionOperandQuant& q, int32_t offset, T* dst, int64_t pitch,
                                     int32_t* row_sums, int32_t* col_sums) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  constexpr int32_t kMagicBits = 0x4B400000;
  const float s = q.scale, lo = kMagic + (q.qmin - q.zero_point), hi = kMagic + (q.qmax - q.zero_point);
  const int32_t shift = static_cast<int32_t>(q.zero_point) + offset - kMagicBits;
  const float z = q.zero_point, qmin = q.qmin, qmax = q.qmax, off = static_cast<float>(offset);
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = src + r * row_stride;
    T* out = dst + r * pitch;
    int64_t c = 0;
    int32_t sum = 0;
    if (col_stride == 1) {
      I16 vsum = {};
      for (; c + 16 <= n; c += 16) {
        V16 t = *reinterpret_cast<const V16*>(x + c) / s + kMagic;
        t = t > lo ? t : lo;  // x86's max / min: one instruction each
        t = hi < t ? hi : t;
        const I16 code = reinterpret_cast<I16&>(t) + shift;
        vsum += code;
        if (col_sums) *reinterpret_cast<I16*>(col_sums + c) += code;
        *reinterpret_cast<Bytes16<T>*>(out + c) = __builtin_convertvector(code, Bytes16<T>);
      }
      sum = LaneSum(vsum);
    }
    for (; c < n; ++c) {
      const int32_t code = static_cast<int32_t>(QuantizeToFloat(x[c * col_stride], s, z, qmin, qmax) + off);
      out[c] = static_cast<T>(code);
      sum += code;
      if (col_sums) col_sums[c] += code;
    }
    if (row_sums) row_sums[r] = sum;
  }
}

template void QuantizeOperandRows<uint8_t>(const float*, int64_t, int64_t, int64_t, int64_t,
                                           const AttentionOperandQuant&, int32_t, uint8_t*, int64_t, int32_t*,
                                           int32_t*);
template void QuantizeOperandRows<int8_t>(const float*, int64_t, int64_t, int64_t, int64_t,
                                          const AttentionOperandQuant&, int32_t, int8_t*, int64_t, int32_t*, int32_t*);

template <typename S, typename T>
SAMQ_CLONES void CopyCodeRows(const S* src, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t n,
                              int32_t offset, T* dst, int64_t pitch, int32_t* row_sums, int32_t* col_sums) {
  for (int64_t r = 0; r < rows; ++r) {
    const S* x = src + r * row_stride;
    int32_t sum = 0;
    if (col_stride == 1) {  // the common case, in a loop GCC vectorizes
      for (int64_t c = 0; c < n; ++c) {
        const int32_t code = x[c] + offset;
        sum += code;
        if (dst) dst[r * pitch + c] = static_cast<T>(code);
        if (col_sums) col_sums[c] += code;
      }
    } else {
      for (int64_t c = 0; c < n; ++c) {
        const int32_t code = x[c * col_stride] + offset;
        sum += code;
        if (dst) dst[r * pitch + c] = static_cast<T>(code);
        if (col_sums) col_sums[c] += code;
      }
    }
    if (row_sums) row_sums[r] = sum;
  }
}

template <typename T>
void CopyOperandCodes(const void* src, bool src_u8, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t n,
                      int32_t offset, T* dst, int64_t pitch, int32_t* row_sums, int32_t* col_sums) {
  if (src_u8)
    CopyCodeRows(static_cast<const uint8_t*>(src), row_stride, col_stride, rows, n, offset, dst, pitch, row_sums,
                 col_sums);
  else
    CopyCodeRows(static_cast<const int8_t*>(src), row_stride, col_stride, rows, n, offset, dst, pitch, row_sums,
                 col_sums);
}

template <typename T>
void OperandRowsToBytes(const OperandSource& src, int64_t row_stride, int64_t col_stride, int64_t rows, int64_t n,
                        const AttentionOperandQuant& q, int32_t offset, T* dst, int64_t pitch, int32_t* row_sums,
                        int32_t* col_sums) {
  if (src.codes)
    CopyOperandCodes<T>(static_cast<const uint8_t*>(src.codes) + src.at, q.u8, row_stride, col_stride, rows, n,
                        offset, dst, pitch, row_sums, col_sums);
  else
    QuantizeOperandRows<T>(src.values + src.at, row_stride, col_stride, rows, n, q, offset, dst, pitch, row_sums,
                           col_sums);
}

template void CopyOperandCodes<uint8_t>(const void*, bool, int64_t, int64_t, int64_t, int64_t, int32_t, uint8_t*,
                                        int64_t, int32_t*, int32_t*);
template void CopyOperandCodes<int8_t>(const void*, bool, int64_t, int64_t, int64_t, int64_t, int32_t, int8_t*,
                                       int64_t, int32_t*, int32_t*);
template void OperandRowsToBytes<uint8_t>(const OperandSource&, int64_t, int64_t, int64_t, int64_t,
                                          const AttentionOperandQuant&, int32_t, uint8_t*, int64_t, int32_t*,
                                          int32_t*);
template void OperandRowsToBytes<int8_t>(const OperandSource&, int64_t, int64_t, int64_t, int64_t,
                                         const AttentionOperandQuant&, int32_t, int8_t*, int64_t, int32_t*, int32_t*);

void PackAttentionOperand(const OperandSource& src, int64_t depth, int64_t padded_depth, int64_t dstride,
                          int64_t cols, int64_t jstride, int64_t ld, const AttentionOperandQuant& q,
                          PackedOperand* out) {
  const int64_t groups = (depth + 3) / 4;
  KeepOrZero(&out->codes, static_cast<size_t>((std::max(depth, padded_depth) + 3) / 4 * ld * 4));
  out->col_sum.assign(static_cast<size_t>(ld), 0);
  const int32_t offset = q.u8 ? -128 : 0;
  if (dstride == 1 && jstride != 1) {
    // K: each column (key) is a contiguous line of depths. Quantize the lines ([cols][4 *
    // groups], the depth tail zero), then move each line's 4-byte groups to their packed places
    // (a transpose of 32-bit words).
    if (src.codes && PackKeyCodesAvx512(static_cast<const uint8_t*>(src.codes) + src.at, q.u8, depth, cols, jstride,
                                        ld, out->codes.data(), out->col_sum.data()))
      return;
    const int64_t pitch = groups * 4;
    KeepOrZero(&out->lines, static_cast<size_t>(cols * pitch));
    int8_t* lines = out->lines.data();
    OperandRowsToBytes<int8_t>(src, jstride, 1, cols, depth, q, offset, lines, pitch, out->col_sum.data(), nullptr);
    int8_t* codes = out->codes.data();
    for (int64_t j = 0; j < cols; ++j)
      for (int64_t g = 0; g < groups; ++g) std::memcpy(codes + (g * ld + j) * 4, lines + j * pitch + g * 4, 4);
    return;
  }
  // V (or any other layout): one line per depth ([4 * groups][cols], lines past the depth zero),
  // then four lines interleaved per group.
  if (src.codes && jstride == 1 &&
      PackValueCodesAvx512(static_cast<const uint8_t*>(src.codes) + src.at, q.u8, depth, dstride, cols, ld,
                           out->codes.data(), out->col_sum.data()))
    return;
  KeepOrZero(&out->lines, static_cast<size_t>(groups * 4 * cols));
  int8_t* lines = out->lines.data();
  OperandRowsToBytes<int8_t>(src, dstride, jstride, depth, cols, q, offset, lines, cols, nullptr,
                             out->col_sum.data());
  for (int64_t g = 0; g < groups; ++g) {
    const int8_t* l = lines + 4 * g * cols;
    InterleaveFour(l, l + cols, l + 2 * cols, l + 3 * cols, cols, out->codes.data() + g * ld * 4);
  }
}

}  // namespace samq::backends::fast
