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

#include "backends/cpu/attention_rows.h"
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
    Tensor& y = AttentionOutput(ctx, a);
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
    const AttentionInputs in = GetAttentionInputs(ctx, a);
    const float *pq = in.q, *pk = in.k, *pv = in.v, *pbias = in.bias;
    const RelPosTerms rel_terms(a, in, nkp);
    const int64_t khp = rel_terms.h_stride(), kwp = rel_terms.w_stride();
    float* py = y.data<float>();
    // V is read in place unless Dv is not a multiple of 16 (the tiles' width).
    // Also packed when its rows are far apart (V read out of a qkv tensor: 9 KB between rows on
    // ViT-B): a 256-key chunk would span 2.3 MB and hundreds of pages, which P * V re-reads per tile.
    const bool pack_v = dvp != dv || a.v.row_stride > 2 * dvp;
    const int64_t ldv = pack_v ? dvp : a.v.row_stride;
    const bool q_dense = a.q.row_stride == d;

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
      std::vector<float> scores, out, q, kt, v, rel_h, rel_w, rel_gemm;
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
      if (a.rel_tables) rel_terms.ComputeBlock(rows.data(), n_rows, i0, s.rel_h.data(), s.rel_w.data(), &s.rel_gemm);
      TiledProduct(rows.data(), n_rows, kt, ldk, nkp, d, s.scores.data(), ldk, false);
      for (int64_t r = 0; r < n_rows; ++r) {
        const int64_t qi = b * nq + i0 + r;
        float* sr = s.scores.data() + r * ldk;
        const float* bias_row = pbias ? pbias + ((b % a.bias_batches) * nq + i0 + r) * nk : nullptr;
        const float* rh = rel_terms.h(qi, s.rel_h.data() + r * khp);
        const float* rw = rel_terms.w(qi, s.rel_w.data() + r * kwp);
        inv_sum[r] = BiasExpRow(sr, nk, nkp, a.scale, rh, kh, rw, kw, bias_row, rel_terms.small());
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
  for (size_t i = 0; i < info.input_types.size(); ++i)
    if (info.node.has_input(static_cast<int>(i)) && !IsAttentionZeroPoint(static_cast<int>(i)) &&
        info.input_types[i].dtype != DType::kFloat32) {
      *why = "only float32";
      return nullptr;
    }
  if (info.node.has_input(10)) {
    *why = "integer operands (fast.attention_u8s8 runs them)";
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
