#include "backends/cpu/attention_rows.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "backends/cpu/fast_kernels.h"

namespace samq::backends::fast {
namespace {

// 16 floats / int32s, unaligned and aliasing-safe: one zmm register in the AVX-512 clone.
typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef int32_t I16u __attribute__((vector_size(64), aligned(4), may_alias));  // for loads from memory

// exp(x) for x = s - max <= 0, the only arguments a max-subtracted softmax has, which makes it
// cheaper than the general fastmath::Exp: no upper clamp and a single 2^n scale (n >= -126 keeps
// 2^n a normal float). x = n + f with n = round(x log2 e), f in [-1/2, 1/2]; 2^f by a degree-5
// polynomial (least-squares fit of the relative error, 2.3e-7 evaluated in float), 2^n built in
// the exponent field straight from the rounding's magic-number sum: 1.5 * 2^23 + 127 has an ulp of
// 1, so the sum's low mantissa bits hold n + 127 and shifting them by 23 makes them the exponent.
// About 13 vector operations per 16 scores against 25 for the clamped two-scale form. NaN scores
// stay NaN (the clamp's comparison is false for them).
constexpr float kExpLog2e = 1.44269504088896341f;
constexpr float kExpMagic = 12582912.0f + 127.0f;
constexpr float kExpLowest = -87.0f;
constexpr float kExp2C0 = 1.0000001192092896f, kExp2C1 = 0.6931469440460205f, kExp2C2 = 0.24022120237350464f,
                kExp2C3 = 0.05550713464617729f, kExp2C4 = 0.00967553723603487f, kExp2C5 = 0.001327644451521337f;

// p[0..16) = exp(p[0..16) - mx) on 16 lanes at once, as above, and *sum += the results. Written
// on vector types because GCC does not vectorize the scalar call inside an exp-and-sum loop (a
// float reduction) without -ffast-math. Vectors only pass through pointers: no vector-passing ABI.
__attribute__((always_inline)) inline void ExpShifted16(float* p, float mx, V16* sum) {
  const V16 lowest = V16{} + kExpLowest;
  V16 x = *reinterpret_cast<const V16*>(p) - mx;
  x = lowest > x ? lowest : x;  // x86's max form (NaN -> x): one instruction
  const V16 t = x * kExpLog2e + kExpMagic;
  const V16 n = t - kExpMagic;
  const V16 f = x * kExpLog2e - n;
  const V16 q = ((((kExp2C5 * f + kExp2C4) * f + kExp2C3) * f + kExp2C2) * f + kExp2C1) * f + kExp2C0;
  const I16 bits = (I16)t << 23;  // a same-size vector cast reinterprets the bits
  const V16 e = q * (V16)bits;
  *reinterpret_cast<V16*>(p) = e;
  *sum += e;
}

// The max / sum of a vector's 16 lanes by halving (4 shuffle + op steps) instead of 15 scalar
// steps in a chain: on SAM's 49-key windows a row is only 4 vectors, and the two sequential
// reductions cost as much as its exp pass. Through pointers, as ExpShifted16.
__attribute__((always_inline)) inline float LaneMax(const V16* pv) {
  V16 v = *pv;
  v = v > __builtin_shuffle(v, I16{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7}) ? v
      : __builtin_shuffle(v, I16{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
  v = v > __builtin_shuffle(v, I16{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11}) ? v
      : __builtin_shuffle(v, I16{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11});
  v = v > __builtin_shuffle(v, I16{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13}) ? v
      : __builtin_shuffle(v, I16{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
  return std::max(v[0], v[1]);
}
__attribute__((always_inline)) inline float LaneSum(const V16* pv) {
  V16 v = *pv;
  v += __builtin_shuffle(v, I16{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
  v += __builtin_shuffle(v, I16{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11});
  v += __builtin_shuffle(v, I16{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
  return v[0] + v[1];
}

// out[0 .. 16*NV) = sum_c q[c] * panel[c * ldp + 0 .. 16*NV): one query row's decomposed terms
// from a transposed table. Two accumulator sets (even and odd c) halve the FMA dependency chain,
// which with NV = 1 (14 x 14 windows) would otherwise set the pace.
template <int NV>
__attribute__((always_inline)) inline void RowTimesPanelNV(const float* q, int64_t d, const float* panel,
                                                           int64_t ldp, float* out) {
  V16 a0[NV] = {}, a1[NV] = {};
  int64_t c = 0;
  for (; c + 1 < d; c += 2) {
    const float q0 = q[c], q1 = q[c + 1];
    const float* p0 = panel + c * ldp;
    for (int v = 0; v < NV; ++v) {
      a0[v] += q0 * *reinterpret_cast<const V16*>(p0 + v * kTileLanes);
      a1[v] += q1 * *reinterpret_cast<const V16*>(p0 + ldp + v * kTileLanes);
    }
  }
  if (c < d)
    for (int v = 0; v < NV; ++v) a0[v] += q[c] * *reinterpret_cast<const V16*>(panel + c * ldp + v * kTileLanes);
  for (int v = 0; v < NV; ++v) *reinterpret_cast<V16*>(out + v * kTileLanes) = a0[v] + a1[v];
}

}  // namespace

// 64 columns at a time.
SAMQ_CLONES void RowTimesPanel(const float* q, int64_t d, const float* panel, int64_t np, float* out) {
  for (int64_t j0 = 0; j0 < np; j0 += 4 * kTileLanes) {
    switch (std::min<int64_t>(4, (np - j0) / kTileLanes)) {
      case 4: RowTimesPanelNV<4>(q, d, panel + j0, np, out + j0); break;
      case 3: RowTimesPanelNV<3>(q, d, panel + j0, np, out + j0); break;
      case 2: RowTimesPanelNV<2>(q, d, panel + j0, np, out + j0); break;
      default: RowTimesPanelNV<1>(q, d, panel + j0, np, out + j0); break;
    }
  }
}

std::vector<float> TransposedTables(const float* t, int64_t g, int64_t kt, int64_t d, int64_t ktp) {
  std::vector<float> out(static_cast<size_t>(g * d * ktp), 0.0f);
  for (int64_t x = 0; x < g; ++x)
    for (int64_t j = 0; j < kt; ++j)
      for (int64_t c = 0; c < d; ++c) out[(x * d + c) * ktp + j] = t[(x * kt + j) * d + c];
  return out;
}

namespace {

// Score vector j of the row as float: the row itself, or the integer kernel's sums with their
// zero-point terms, converted (in place: int32 and float share the buffer; the caller scales by
// ints->mult). Through a pointer, as ExpShifted16: no vector-passing ABI.
template <bool kInts>
__attribute__((always_inline)) inline void LoadScores(const float* s, const IntegerScores* ints, int64_t j,
                                                      V16* out) {
  if constexpr (kInts) {
    const I16 acc = *reinterpret_cast<const I16u*>(s + j) - *reinterpret_cast<const I16u*>(ints->col + j);
    *out = __builtin_convertvector(acc - ints->row_term, V16);
  } else {
    *out = *reinterpret_cast<const V16*>(s + j);
  }
}

// The first pass over a row: scale, bias, padding keys to -inf and the row's max in one go, for
// a full bias row alone and for the two decomposed layouts that fill whole vectors: tables of at
// most 16 (lane permutes, SAM's 14 x 14 windows) and KW a multiple of 16 (SAM's 64 x 64 global
// grid). Returns false (row not touched) for the others.
template <bool kInts>
__attribute__((always_inline)) inline bool ScaleBiasMaxFused(float* s, int64_t nk, int64_t nkp, float scale,
                                                             const float* rh, int64_t kh, const float* rw,
                                                             int64_t kw, const float* bias, const SmallRelIndex* small,
                                                             const IntegerScores* ints, float* row_max) {
  constexpr int64_t L = kTileLanes;
  if constexpr (kInts) scale *= ints->mult;  // one product per score
  V16 vmax = V16{} - std::numeric_limits<float>::infinity();
  if (bias) {  // a full bias row of nk values (TinyViT's attention biases): no tables
    const V16 padding = V16{} - std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < nkp; j += L) {
      V16 v, b;
      LoadScores<kInts>(s, ints, j, &v);
      if (j + L <= nk) {
        b = *reinterpret_cast<const V16*>(bias + j);
        v = v * scale + b;
      } else {  // the last vector: the bias row ends at nk, keys past it are padding
        const I16 lane = I16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} + static_cast<int32_t>(j);
        if (nk >= L) {
          // The row's last 16 values, rotated so value j lands in lane 0 (filling lanes one by one
          // would store single floats and reload the vector: a stalled store forwarding).
          const V16 tail = *reinterpret_cast<const V16*>(bias + nk - L);
          b = __builtin_shuffle(tail, (lane - static_cast<int32_t>(nk - L)) & static_cast<int32_t>(L - 1));
        } else {
          b = V16{};
          for (int64_t l = 0; l < nk - j; ++l) b[l] = bias[j + l];
        }
        v = v * scale + b;
        v = lane < static_cast<int32_t>(nk) ? v : padding;
      }
      *reinterpret_cast<V16*>(s + j) = v;
      vmax = v > vmax ? v : vmax;
    }
  } else if (small) {
    V16 th = {}, tw = {};
    for (int64_t a = 0; a < kh; ++a) th[a] = rh[a];
    for (int64_t x = 0; x < kw; ++x) tw[x] = rw[x];
    const V16 padding = V16{} - std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < nkp; j += L) {
      const I16 ih = *reinterpret_cast<const I16u*>(small->h.data() + j);
      const I16 iw = *reinterpret_cast<const I16u*>(small->w.data() + j);
      V16 v;
      LoadScores<kInts>(s, ints, j, &v);
      v = v * scale + (__builtin_shuffle(th, ih) + __builtin_shuffle(tw, iw));
      if (j + L > nk) {  // the last vector: keys past nk are padding
        const I16 lane = I16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15} + static_cast<int32_t>(j);
        v = lane < static_cast<int32_t>(nk) ? v : padding;
      }
      *reinterpret_cast<V16*>(s + j) = v;
      vmax = v > vmax ? v : vmax;
    }
  } else if (kw % L == 0 && nkp == nk) {
    for (int64_t a = 0; a < kh; ++a) {
      const float ha = rh[a];
      for (int64_t x = 0; x < kw; x += L) {
        const int64_t j = a * kw + x;
        V16 v;
        LoadScores<kInts>(s, ints, j, &v);
        v = v * scale + (*reinterpret_cast<const V16*>(rw + x) + ha);
        *reinterpret_cast<V16*>(s + j) = v;
        vmax = v > vmax ? v : vmax;
      }
    }
  } else {
    return false;
  }
  *row_max = LaneMax(&vmax);
  return true;
}

}  // namespace

SAMQ_CLONES float BiasExpRow(float* s, int64_t nk, int64_t nkp, float scale, const float* rh, int64_t kh,
                             const float* rw, int64_t kw, const float* bias, const SmallRelIndex* small,
                             const IntegerScores* ints) {
  constexpr int64_t L = kTileLanes;
  float mx = 0.0f;
  // Decomposed bias only, or full bias only (neither, or both: the general passes below).
  const bool one_bias = (rh != nullptr) != (bias != nullptr);
  const bool fused = one_bias && (ints ? ScaleBiasMaxFused<true>(s, nk, nkp, scale, rh, kh, rw, kw, bias, small, ints, &mx)
                                       : ScaleBiasMaxFused<false>(s, nk, nkp, scale, rh, kh, rw, kw, bias, small, ints, &mx));
  if (!fused) {
    if (ints) {
      int32_t* acc = reinterpret_cast<int32_t*>(s);
      for (int64_t j = 0; j < nk; ++j) s[j] = static_cast<float>(acc[j] - ints->col[j] - ints->row_term) * ints->mult;
    }
    if (rh) {
      for (int64_t a = 0; a < kh; ++a) {
        float* sa = s + a * kw;
        const float ha = rh[a];
        if (bias) {
          const float* ba = bias + a * kw;
          for (int64_t x = 0; x < kw; ++x) sa[x] = sa[x] * scale + ((ha + rw[x]) + ba[x]);
        } else {
          for (int64_t x = 0; x < kw; ++x) sa[x] = sa[x] * scale + (ha + rw[x]);
        }
      }
    } else if (bias) {
      for (int64_t j = 0; j < nk; ++j) s[j] = s[j] * scale + bias[j];
    } else if (scale != 1.0f) {
      for (int64_t j = 0; j < nk; ++j) s[j] *= scale;
    }
    for (int64_t j = nk; j < nkp; ++j) s[j] = -std::numeric_limits<float>::infinity();
    V16 vmax = *reinterpret_cast<const V16*>(s);
    for (int64_t j = L; j < nkp; j += L) {
      const V16 v = *reinterpret_cast<const V16*>(s + j);
      vmax = v > vmax ? v : vmax;
    }
    mx = LaneMax(&vmax);
  }
  V16 vsum = {};
  for (int64_t j = 0; j < nkp; j += L) ExpShifted16(s + j, mx, &vsum);
  return 1.0f / LaneSum(&vsum);
}

std::optional<RelPosTerms::Toeplitz> RelPosTerms::FindToeplitz(const float* t, int64_t g, int64_t kt, int64_t d) {
  if (g <= 0 || kt <= 0 || d <= 0) return std::nullopt;
  Toeplitz z;
  z.nt = g + kt - 1;
  z.ntp = RoundUp16(z.nt);
  std::vector<const float*> base(static_cast<size_t>(z.nt), nullptr);
  for (int64_t x = 0; x < g; ++x)
    for (int64_t k = 0; k < kt; ++k) {
      const float* row = t + (x * kt + k) * d;
      const float*& b = base[x - k + kt - 1];
      if (!b) b = row;
      else if (std::memcmp(b, row, static_cast<size_t>(d) * sizeof(float)) != 0) return std::nullopt;
    }
  z.panel.assign(static_cast<size_t>(d * z.ntp), 0.0f);
  for (int64_t j = 0; j < z.nt; ++j)
    for (int64_t c = 0; c < d; ++c) z.panel[c * z.ntp + j] = base[j][c];
  return z;
}

RelPosTerms::RelPosTerms(const AttentionDims& a, const AttentionInputs& in, int64_t nkp)
    : a_(a), in_(in), khp_(RoundUp16(a.kh)), kwp_(RoundUp16(a.kw)) {
  if (a.rel_tables) {
    toeplitz_h_ = FindToeplitz(in.table_h, a.grid_h, a.kh, a.d);
    toeplitz_w_ = FindToeplitz(in.table_w, a.grid_w, a.kw, a.d);
    if (!toeplitz_h_ || !toeplitz_w_) {
      toeplitz_h_.reset();
      toeplitz_w_.reset();
      th_ = TransposedTables(in.table_h, a.grid_h, a.kh, a.d, khp_);
      tw_ = TransposedTables(in.table_w, a.grid_w, a.kw, a.d, kwp_);
    }
  }
  if (a.kh > 0 && SmallRelIndex::Applies(a.kh, a.kw)) small_.emplace(a.kh, a.kw, nkp);
}

void RelPosTerms::ComputeRow(const float* q, int64_t i, float* rh, float* rw) const {
  RowTimesPanel(q, a_.d, th_.data() + (i / a_.grid_w) * a_.d * khp_, khp_, rh);
  RowTimesPanel(q, a_.d, tw_.data() + (i % a_.grid_w) * a_.d * kwp_, kwp_, rw);
}

void RelPosTerms::ComputeBlock(const float* const* q_rows, int64_t n_rows, int64_t i0, float* rh, float* rw,
                               std::vector<float>* gemm) const {
  if (!toeplitz_h_) {
    for (int64_t r = 0; r < n_rows; ++r) ComputeRow(q_rows[r], i0 + r, rh + r * khp_, rw + r * kwp_);
    return;
  }
  // All products of each row with base (spare rows for the tile), then query i's terms: term k
  // of table g is product g - k + KT - 1, a slice of them read backwards.
  auto terms = [&](const Toeplitz& z, int64_t kt, int64_t ktp, bool h, float* out) {
    gemm->resize(static_cast<size_t>((n_rows + kMaxTileRows) * z.ntp));
    TiledProduct(q_rows, n_rows, z.panel.data(), z.ntp, z.ntp, a_.d, gemm->data(), z.ntp, false);
    for (int64_t r = 0; r < n_rows; ++r) {
      const int64_t i = i0 + r, g = h ? i / a_.grid_w : i % a_.grid_w;
      const float* last = gemm->data() + r * z.ntp + g + kt - 1;
      float* o = out + r * ktp;
      for (int64_t k = 0; k < kt; ++k) o[k] = last[-k];
      std::fill(o + kt, o + ktp, 0.0f);
    }
  };
  terms(*toeplitz_h_, a_.kh, khp_, true, rh);
  terms(*toeplitz_w_, a_.kw, kwp_, false, rw);
}

}  // namespace samq::backends::fast
