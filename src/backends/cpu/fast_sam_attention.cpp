// fast.Attention (com.samq Attention, see sam_attention.h) on blocks of query rows.
//
// The unfused graph writes the whole [B, Nq, Nk] score tensor several times (product, two bias
// adds, softmax): 805 MB per pass for a global ViT-B block at 1024x1024. Here each task takes
// one batch index and kQueryBlock query rows and keeps their score rows in a per-thread scratch
// (kQueryBlock x Nk floats, 384 KB at Nk = 4096, L2-sized):
//   1. S = Q_blk * K^T with the shared register-tiled GEMM (K transposed once per run into
//      [D][Nk] panels, so the tile reads it with unit stride);
//   2. per row: + rel_h[kh] + rel_w[kw] (the decomposed bias, read from the two small tensors),
//      then the max-subtracted exp and its sum, as the reference softmax;
//   3. Y_blk = P * V with the same GEMM, over chunks of keys (so a V chunk stays cached), scaled
//      by 1/sum on the way out.
// A full row of scores fits the scratch, so the softmax is exact (no online rescaling needed).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/gemm_tile.h"
#include "backends/cpu/sam_attention.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

// Query rows per task: a multiple of every tile height (4, 6, 8); 24 score rows of 4096 keys
// (384 KB) leave room in a 1 MB L2 for the key-chunk of V being multiplied.
constexpr int64_t kQueryBlock = 24;
// Keys per step of P * V: the V chunk (256 x 64 floats, 64 KB) stays cached across the row tiles
// instead of streaming all of V (1 MB) once per tile.
constexpr int64_t kKeyChunk = 256;
constexpr int64_t kMaxTileRows = 8;

int64_t RoundUp16(int64_t n) { return (n + kTileLanes - 1) / kTileLanes * kTileLanes; }

// Row stride of the K^T panels and score rows: the padded key count, plus one vector when that
// is a multiple of 1 KB. At 4096 keys each row is 16 KB apart, so the 64 depth rows of K^T a
// tile reads (and the score rows it writes) all fall into the same few L1 sets and evict each
// other between the row tiles that should share them.
int64_t KeyStride(int64_t nkp) { return nkp % 256 == 0 ? nkp + kTileLanes : nkp; }

// c[0 .. rows) x [0 .. width) (=|+=) a-rows x b-panel, in tiles of up to 64 columns. Rows past
// `rows` repeat the last one (their results land in c's spare rows, which callers size for).
void TiledProduct(const float* const* a_rows, int64_t rows, const float* b, int64_t ldb, int64_t width,
                  int64_t k, float* c, int64_t ldc, bool accumulate) {
  std::array<const float*, kMaxTileRows> tile_rows;
  for (int64_t j0 = 0; j0 < width; j0 += 64) {
    const int nv = static_cast<int>(std::min<int64_t>(4, (width - j0 + kTileLanes - 1) / kTileLanes));
    const int mr = nv == 4 ? 6 : nv == 3 ? 4 : 8;
    for (int64_t i0 = 0; i0 < rows; i0 += mr) {
      for (int r = 0; r < mr; ++r) tile_rows[r] = a_rows[std::min<int64_t>(i0 + r, rows - 1)];
      float* ct = c + i0 * ldc + j0;
      switch (nv) {
        case 4: MicroTile<6, 4>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
        case 3: MicroTile<4, 3>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
        case 2: MicroTile<8, 2>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
        default: MicroTile<8, 1>(tile_rows.data(), b + j0, ldb, k, ct, ldc, accumulate); break;
      }
    }
  }
}

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
  x = x < lowest ? lowest : x;
  const V16 t = x * kExpLog2e + kExpMagic;
  const V16 n = t - kExpMagic;
  const V16 f = x * kExpLog2e - n;
  const V16 q = ((((kExp2C5 * f + kExp2C4) * f + kExp2C3) * f + kExp2C2) * f + kExp2C1) * f + kExp2C0;
  const I16 bits = (I16)t << 23;  // a same-size vector cast reinterprets the bits
  const V16 e = q * (V16)bits;
  *reinterpret_cast<V16*>(p) = e;
  *sum += e;
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

// The same over np columns (a multiple of 16), 64 at a time.
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

// Tables [G, KT, D] as G panels [D][KTp] (columns past KT zero), for RowTimesPanel.
std::vector<float> TransposedTables(const float* t, int64_t g, int64_t kt, int64_t d, int64_t ktp) {
  std::vector<float> out(static_cast<size_t>(g * d * ktp), 0.0f);
  for (int64_t x = 0; x < g; ++x)
    for (int64_t j = 0; j < kt; ++j)
      for (int64_t c = 0; c < d; ++c) out[(x * d + c) * ktp + j] = t[(x * kt + j) * d + c];
  return out;
}

// The decomposed bias of key j is rh[j / KW] + rw[j % KW]. With KH and KW at most 16 (SAM's
// 14 x 14 windows) each table fits one vector, and a 16-key chunk of the bias is two in-register
// permutes of them by fixed lane indices (the same for every query row: built once per run).
// Without this, the bias loop runs KH times over KW = 14 keys, shorter than a vector, and cost
// as much as the exp.
struct SmallRelIndex {
  std::vector<int32_t> h, w;  // per padded key: j / KW and j % KW (clamped to the table)
  static bool Applies(int64_t kh, int64_t kw) { return kh > 0 && kw > 0 && kh <= kTileLanes && kw <= kTileLanes; }
  SmallRelIndex(int64_t kh, int64_t kw, int64_t nkp) : h(static_cast<size_t>(nkp)), w(static_cast<size_t>(nkp)) {
    for (int64_t j = 0; j < nkp; ++j) {
      h[j] = static_cast<int32_t>(std::min(j / kw, kh - 1));
      w[j] = static_cast<int32_t>(j % kw);
    }
  }
};

// Scales one score row, adds the decomposed bias (rh: KH values, rw: KW values; null = none)
// and the full bias row (null = none) in one pass, replaces it by exp(s - max) and returns
// 1 / sum (max and sum kept per lane, then combined). The row holds nkp = nk rounded up to 16
// floats: the padding keys are set to -inf, so whole vectors cover the row (their exp, about
// 1e-38 after the clamp, cannot change a sum that is at least 1).
SAMQ_CLONES float BiasExpRow(float* s, int64_t nk, int64_t nkp, float scale, const float* rh, int64_t kh,
                             const float* rw, int64_t kw, const float* bias, const SmallRelIndex* small) {
  constexpr int64_t L = kTileLanes;
  if (rh && small && !bias) {
    V16 th = {}, tw = {};
    for (int64_t a = 0; a < kh; ++a) th[a] = rh[a];
    for (int64_t x = 0; x < kw; ++x) tw[x] = rw[x];
    for (int64_t j = 0; j < nkp; j += L) {
      const I16 ih = *reinterpret_cast<const I16u*>(small->h.data() + j);
      const I16 iw = *reinterpret_cast<const I16u*>(small->w.data() + j);
      V16& v = *reinterpret_cast<V16*>(s + j);
      v = v * scale + (__builtin_shuffle(th, ih) + __builtin_shuffle(tw, iw));
    }
  } else if (rh) {
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
  float mx = vmax[0];
  for (int64_t l = 1; l < L; ++l) mx = std::max(mx, vmax[l]);
  V16 vsum = {};
  for (int64_t j = 0; j < nkp; j += L) ExpShifted16(s + j, mx, &vsum);
  float sum = 0.0f;
  for (int64_t l = 0; l < L; ++l) sum += vsum[l];
  return 1.0f / sum;
}

// p[0 .. n) = QuantizeLinear -> DequantizeLinear of p * inv_sum (a quantized attention's P).
SAMQ_CLONES void QuantDequantRow(float* p, int64_t n, float inv_sum, const AttentionDims& a) {
  const float s = a.p_scale, z = a.p_zero_point, lo = a.p_qmin, hi = a.p_qmax;
  for (int64_t j = 0; j < n; ++j) p[j] = (QuantizeToFloat(p[j] * inv_sum, s, z, lo, hi) - z) * s;
}

// Q's, V's and Y's columns must be contiguous (the factory checks; the fold pass only makes such
// views). K may have any layout: it is repacked per run.
//
// Two schedules. Few batch indices (global attention: one per head) split each batch's query
// rows over the threads, so all of K is packed up front and shared. Many (windowed attention:
// windows x heads, e.g. 1444 on MobileSAM, 1024 on Hiera's first stage) give each task whole
// batch indices, packed into the task's own scratch right before use: packing them all up front
// wrote (and page-faulted) a K copy as large as K itself, 25-50 MB on Hiera's first stages, cold
// again by the time each window was used.
class FastAttention final : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    SAMQ_ASSIGN_OR_RETURN(const AttentionDims a, GetAttentionDims(ctx));
    if (a.q.col_stride != 1 || a.v.col_stride != 1 || a.y.col_stride != 1)
      return Status::InternalF("{}: fast.Attention needs contiguous Q, V and Y rows", ctx.node().describe());
    const bool rel = a.kh > 0;
    Tensor& y = ctx.output(0);
    const int64_t nb = a.nb, nq = a.nq, d = a.d, nk = a.nk, dv = a.dv;
    if (y.numel() == 0 || nb * nq * dv == 0) return Status::Ok();
    if (nk == 0) {  // softmax over no keys: the reference gives NaN (0/0); so does this
      std::fill(y.data<float>(), y.data<float>() + y.numel(), std::nanf(""));
      return Status::Ok();
    }
    const int64_t kh = a.kh, kw = a.kw;
    const int64_t nkp = RoundUp16(nk), dvp = RoundUp16(dv), ldk = KeyStride(nkp);
    const std::vector<int64_t> qo = a.q.BatchOffsets(), ko = a.k.BatchOffsets(), vo = a.v.BatchOffsets(),
                               yo = a.y.BatchOffsets();
    const float* pq = ctx.input(0).data<float>();
    const float* pk = ctx.input(1).data<float>();
    const float* pv = ctx.input(2).data<float>();
    const float* prh = rel && !a.rel_tables ? ctx.input(3).data<float>() : nullptr;
    const float* prw = rel && !a.rel_tables ? ctx.input(4).data<float>() : nullptr;
    // Decomposed terms computed here (input 6 and 7): the tables transposed once per run.
    const int64_t khp = RoundUp16(kh), kwp = RoundUp16(kw);
    std::vector<float> tht, twt;
    if (a.rel_tables) {
      tht = TransposedTables(ctx.input(6).data<float>(), a.grid_h, kh, d, khp);
      twt = TransposedTables(ctx.input(7).data<float>(), a.grid_w, kw, d, kwp);
    }
    const float* pbias = a.bias_batches > 0 ? ctx.input(5).data<float>() : nullptr;
    float* py = y.data<float>();
    // V is read in place unless Dv is not a multiple of 16 (the tiles' width).
    // Also packed when its rows are far apart (V read out of a qkv tensor: 9 KB between rows on
    // ViT-B): a 256-key chunk would span 2.3 MB and hundreds of pages, which P * V re-reads per tile.
    const bool pack_v = dvp != dv || a.v.row_stride > 2 * dvp;
    const int64_t ldv = pack_v ? dvp : a.v.row_stride;
    const bool q_dense = a.q.row_stride == d;
    std::optional<SmallRelIndex> small_rel;
    if (rel && SmallRelIndex::Applies(kh, kw)) small_rel.emplace(kh, kw, nkp);

    // K^T of batch b as [D][ldk] (columns nk..nkp zero).
    auto pack_k = [&](int64_t b, float* dst) {
      const float* src = pk + ko[b];
      if (a.k.row_stride == 1) {  // K stored transposed: each depth is a contiguous key row
        for (int64_t c = 0; c < d; ++c) {
          std::memcpy(dst + c * ldk, src + c * a.k.col_stride, static_cast<size_t>(nk) * 4);
          std::fill(dst + c * ldk + nk, dst + c * ldk + nkp, 0.0f);
        }
      } else if (a.k.col_stride == 1) {
        TransposeFloatMatrix(src, a.k.row_stride, nk, d, dst, ldk);
        for (int64_t c = 0; c < d; ++c) std::fill(dst + c * ldk + nk, dst + c * ldk + nkp, 0.0f);
      } else {
        for (int64_t c = 0; c < d; ++c) {
          for (int64_t j = 0; j < nk; ++j) dst[c * ldk + j] = src[j * a.k.row_stride + c * a.k.col_stride];
          std::fill(dst + c * ldk + nk, dst + c * ldk + nkp, 0.0f);
        }
      }
    };
    auto pack_v_rows = [&](int64_t b, float* dst) {
      for (int64_t j = 0; j < nk; ++j) {
        std::memcpy(dst + j * dvp, pv + vo[b] + j * a.v.row_stride, static_cast<size_t>(dv) * 4);
        std::fill(dst + j * dvp + dv, dst + (j + 1) * dvp, 0.0f);
      }
    };

    struct Scratch {
      std::vector<float> scores, out, q, kt, v, rel_h, rel_w;
    };
    auto make_scratch = [&](bool own_kv) {
      Scratch s;
      s.scores.resize(static_cast<size_t>((kQueryBlock + kMaxTileRows) * ldk));  // spare rows: see TiledProduct
      s.out.resize(static_cast<size_t>((kQueryBlock + kMaxTileRows) * dvp));
      if (!q_dense) s.q.resize(static_cast<size_t>(kQueryBlock * d));
      if (a.rel_tables) {
        s.rel_h.resize(static_cast<size_t>(kQueryBlock * khp));
        s.rel_w.resize(static_cast<size_t>(kQueryBlock * kwp));
      }
      if (own_kv) {
        s.kt.resize(static_cast<size_t>(d * ldk));
        if (pack_v) s.v.resize(static_cast<size_t>(nk * dvp));
      }
      return s;
    };
    // Query rows [i0, i0 + kQueryBlock) of batch b, with K^T at kt and V rows at vb (stride ldv).
    auto block = [&](int64_t b, int64_t i0, const float* kt, const float* vb, Scratch& s) {
      std::array<const float*, kQueryBlock> rows{}, chunk_rows{};
      std::array<float, kQueryBlock> inv_sum;
      const int64_t n_rows = std::min(kQueryBlock, nq - i0);
      for (int64_t r = 0; r < n_rows; ++r) {
        rows[r] = pq + qo[b] + (i0 + r) * a.q.row_stride;
        if (!q_dense) {  // strided rows: gathered, so the tile reads one dense block
          std::memcpy(s.q.data() + r * d, rows[r], static_cast<size_t>(d) * 4);
          rows[r] = s.q.data() + r * d;
        }
      }
      if (a.rel_tables)
        for (int64_t r = 0; r < n_rows; ++r) {
          const int64_t i = i0 + r;
          RowTimesPanel(rows[r], d, tht.data() + (i / a.grid_w) * d * khp, khp, s.rel_h.data() + r * khp);
          RowTimesPanel(rows[r], d, twt.data() + (i % a.grid_w) * d * kwp, kwp, s.rel_w.data() + r * kwp);
        }
      TiledProduct(rows.data(), n_rows, kt, ldk, nkp, d, s.scores.data(), ldk, false);
      for (int64_t r = 0; r < n_rows; ++r) {
        const int64_t qi = b * nq + i0 + r;
        float* sr = s.scores.data() + r * ldk;
        const float* bias_row = pbias ? pbias + ((b % a.bias_batches) * nq + i0 + r) * nk : nullptr;
        const float* rh = a.rel_tables ? s.rel_h.data() + r * khp : rel ? prh + qi * kh : nullptr;
        const float* rw = a.rel_tables ? s.rel_w.data() + r * kwp : rel ? prw + qi * kw : nullptr;
        inv_sum[r] = BiasExpRow(sr, nk, nkp, a.scale, rh, kh, rw, kw, bias_row, small_rel ? &*small_rel : nullptr);
        if (a.quant_p) {  // P itself is quantized: normalize first, then quantize-dequantize
          QuantDequantRow(sr, nk, inv_sum[r], a);
          inv_sum[r] = 1.0f;
        }
        rows[r] = sr;
      }
      for (int64_t k0 = 0; k0 < nk; k0 += kKeyChunk) {
        for (int64_t r = 0; r < n_rows; ++r) chunk_rows[r] = rows[r] + k0;
        TiledProduct(chunk_rows.data(), n_rows, vb + k0 * ldv, ldv, dvp, std::min(kKeyChunk, nk - k0), s.out.data(),
                     dvp, k0 > 0);
      }
      for (int64_t r = 0; r < n_rows; ++r) {
        float* yr = py + yo[b] + (i0 + r) * a.y.row_stride;
        const float* o = s.out.data() + r * dvp;
        for (int64_t c = 0; c < dv; ++c) yr[c] = o[c] * inv_sum[r];
      }
    };

    const int64_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
    if (nb >= 4 * static_cast<int64_t>(num_threads())) {
      parallel_for(nb, 1, [&](int64_t b0, int64_t b1) {
        Scratch s = make_scratch(true);
        for (int64_t b = b0; b < b1; ++b) {
          pack_k(b, s.kt.data());
          if (pack_v) pack_v_rows(b, s.v.data());
          const float* vb = pack_v ? s.v.data() : pv + vo[b];
          for (int64_t i0 = 0; i0 < nq; i0 += kQueryBlock) block(b, i0, s.kt.data(), vb, s);
        }
      });
      return Status::Ok();
    }
    std::vector<float> kt(static_cast<size_t>(nb * d * ldk));
    std::vector<float> vp(pack_v ? static_cast<size_t>(nb * nk * dvp) : 0);
    parallel_for(nb, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        pack_k(b, kt.data() + b * d * ldk);
        if (pack_v) pack_v_rows(b, vp.data() + b * nk * dvp);
      }
    });
    parallel_for(nb * blocks, 1, [&](int64_t t0, int64_t t1) {
      Scratch s = make_scratch(false);
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / blocks;
        block(b, (t % blocks) * kQueryBlock, kt.data() + b * d * ldk, pack_v ? vp.data() + b * nk * dvp : pv + vo[b], s);
      }
    });
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<rt::Kernel> MakeFastSamAttention(const rt::KernelBuildInfo& info, std::string* why) {
  for (size_t i = 0; i < info.input_types.size() && i < 9; ++i)  // 9: P's zero point (int)
    if (info.node.has_input(static_cast<int>(i)) && info.input_types[i].dtype != DType::kFloat32) {
      *why = "only float32";
      return nullptr;
    }
  for (const char* name : {"q_view", "v_view", "y_view"}) {
    if (!info.node.attr(name)) continue;
    const auto view = ParseOperandView(info.node.attr_ints(name));
    if (view && view->col_stride != 1) {
      *why = std::string(name) + " has non-contiguous columns";
      return nullptr;
    }
  }
  return std::make_unique<FastAttention>();
}

}  // namespace samq::backends::fast
