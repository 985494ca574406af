// fast.Attention on integer operands: com.samq Attention with Q's, K's, V's and P's quantization
// parameters (inputs 8..15, see sam_attention.h), the form a QDQ file with quantized attention
// MatMuls fuses into. The file defines
//   Y = DQ(Q(P)) * DQ(Q(V)),  P = softmax(scale * DQ(Q(Q)) * DQ(Q(K))ᵀ + biases)
// so both products are sums of integer products: with a = the u8 codes of one operand and b the
// s8 codes of the other (uint8 codes move to int8 by -128 and int8 codes to uint8 by +128, which
// only shifts the zero points za, zb), sum_c (a_c - za)(b_c - zb)
//   = sum_c a_c b_c - zb * sum_c a_c - za * sum_c b_c + n * za * zb,
// the first term a VNNI tile (int8_tile.h), the second per row, the third per column (computed
// once per batch when K or V is packed), the last a constant. Exact in int32, then one float
// scale: the kernel agrees with the dequantize-then-multiply reference to float rounding, and the
// products run at 4x the float tile's multiply rate.
//
// The schedule is the float kernel's (fast_sam_attention.cpp): blocks of query rows, a full score
// row in scratch (so the softmax is exact), P * V over key chunks. Per block: quantize the query
// rows, integer Q Kᵀ, scores to float with the zero-point terms, bias and exp (BiasExpRow), P
// quantized to bytes, integer P V, out with the zero-point terms and the two scales.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "backends/cpu/attention_rows.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/int8_attention_operands.h"
#include "backends/cpu/int8_tile.h"
#include "backends/cpu/sam_attention.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

constexpr int64_t kQueryBlock = 24;  // as the float kernel: a multiple of the tile heights 6 and 8
constexpr int64_t kKeyChunk = 256;   // keys per step of P * V (a multiple of 4: whole VNNI groups)
constexpr int64_t kSpareRows = 8;    // the tiles write up to 7 rows past the block
// int32 sums stay exact while depth * 255 * 128 < 2^31.
constexpr int64_t kMaxDepth = 65000;

using OperandQuant = AttentionDims::OperandQuant;

// The code offset that makes an operand's codes unsigned (A side of the tile) or signed (B side).
int32_t ToUnsigned(const OperandQuant& q) { return q.u8 ? 0 : 128; }
int32_t ToSigned(const OperandQuant& q) { return q.u8 ? -128 : 0; }

typedef float V16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef uint8_t U8x16 __attribute__((vector_size(16), aligned(1), may_alias));

// P's codes: out[j] = clamp(rint(p[j] * m) + zero_point, lo, hi) + offset, j < n (m = 1 / (sum *
// scale): the normalization and P's scale in one product, where QuantizeLinear divides: P itself
// comes from a float exp, so this moves no more than the reference's own rounding does); returns
// the sum of out. 16 lanes at a time on vector types: this runs once per score (16.8 M per head
// of a global ViT-B block). The rounding is one FMA with 1.5 * 2^23, whose ulp is 1, so the sum's
// low mantissa bits are the rounded code (half to even) and the clamp applies to the sum itself;
// NaN lands on lo, as in QuantizeLinear.
SAMQ_CLONES int32_t QuantizeProbRow(const float* p, int64_t n, float m, const OperandQuant& q, int32_t offset,
                                    uint8_t* out) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  constexpr int32_t kMagicBits = 0x4B400000;
  const float z = q.zero_point, lo = kMagic + (q.qmin - z), hi = kMagic + (q.qmax - z);
  const int32_t shift = static_cast<int32_t>(z) + offset - kMagicBits;
  I16 vsum = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    V16 t = *reinterpret_cast<const V16*>(p + j) * m + kMagic;
    // Written as x86's max/min (a > b ? a : b, NaN -> b): one instruction each, not compare and
    // blend; NaN still lands on lo.
    t = t > lo ? t : lo;
    t = hi < t ? hi : t;
    const I16 code = (I16)t + shift;  // a same-size vector cast reinterprets the bits
    vsum += code;
    *reinterpret_cast<U8x16*>(out + j) = __builtin_convertvector(code, U8x16);
  }
  int32_t sum = 0;
  for (int l = 0; l < 16; ++l) sum += vsum[l];
  for (; j < n; ++j) {
    float t = p[j] * m + kMagic;
    t = t >= lo ? t : lo;
    t = t <= hi ? t : hi;
    int32_t bits;
    std::memcpy(&bits, &t, 4);
    const int32_t code = bits + shift;
    out[j] = static_cast<uint8_t>(code);
    sum += code;
  }
  return sum;
}

// y[c * stride] = (acc[c] - col[c] - row_term) * mult, c < n: one output row from its int32 sums.
SAMQ_CLONES void OutputRow(const int32_t* acc, const int32_t* col, int32_t row_term, float mult, int64_t n,
                           float* y, int64_t stride) {
  if (stride == 1) {
    for (int64_t c = 0; c < n; ++c) y[c] = static_cast<float>(acc[c] - col[c] - row_term) * mult;
    return;
  }
  for (int64_t c = 0; c < n; ++c) y[c * stride] = static_cast<float>(acc[c] - col[c] - row_term) * mult;
}

class FastInt8Attention final : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    SAMQ_ASSIGN_OR_RETURN(const AttentionDims a, GetAttentionDims(ctx));
    if (!a.quant_qkv) return Status::InternalF("{}: the integer kernel needs inputs 8..15", ctx.node().describe());
    Tensor& y = AttentionOutput(ctx, a);
    const int64_t nb = a.nb, nq = a.nq, d = a.d, nk = a.nk, dv = a.dv;
    if (y.numel() == 0 || nb * nq * dv == 0) return Status::Ok();
    if (nk == 0) {  // softmax over no keys: NaN, as the reference
      std::fill(y.data<float>(), y.data<float>() + y.numel(), std::nanf(""));
      return Status::Ok();
    }
    if (d > kMaxDepth || nk > kMaxDepth)
      return Status::UserF("{}: {} keys of depth {}: the integer attention sums at most {} products per output",
                           ctx.node().describe(), nk, d, kMaxDepth);
    const int64_t kh = a.kh, kw = a.kw, d4 = (d + 3) / 4;
    const int64_t nkp = RoundUp16(nk), dvp = RoundUp16(dv), ldk = KeyStride(nkp);
    const std::vector<int64_t> qo = a.q.BatchOffsets(), ko = a.k.BatchOffsets(), vo = a.v.BatchOffsets(),
                               yo = a.y.BatchOffsets();
    const AttentionInputs in = GetAttentionInputs(ctx, a);
    const float *pq = in.q, *pk = in.k, *pv = in.v, *pbias = in.bias;
    const RelPosTerms rel_terms(a, in, nkp);
    const int64_t khp = rel_terms.h_stride(), kwp = rel_terms.w_stride();
    float* py = y.data<float>();

    OperandQuant pq8;  // P's parameters in the operands' form
    pq8.scale = a.p_scale;
    pq8.zero_point = a.p_zero_point;
    pq8.qmin = a.p_qmin;
    pq8.qmax = a.p_qmax;
    pq8.u8 = a.p_qmin == 0.0f;
    // Zero points of the shifted codes: Q and P on the unsigned side, K and V on the signed one.
    const int32_t zq = static_cast<int32_t>(a.qq.zero_point) + ToUnsigned(a.qq);
    const int32_t zk = static_cast<int32_t>(a.kq.zero_point) + ToSigned(a.kq);
    const int32_t zp = static_cast<int32_t>(pq8.zero_point) + ToUnsigned(pq8);
    const int32_t zv = static_cast<int32_t>(a.vq.zero_point) + ToSigned(a.vq);
    const float score_mult = a.qq.scale * a.kq.scale, out_mult = pq8.scale * a.vq.scale;

    struct BatchOperands {
      PackedOperand k, v;  // Kᵀ: depth d, columns = keys; V: depth = keys, columns dv
    };
    // K^T of batch b ([d4][ldk][4], zq * column sums) and V ([nkp/4][dvp][4], zp * column sums).
    auto pack = [&](int64_t b, BatchOperands* o) {
      PackAttentionOperand({pk, in.k_codes, ko[b]}, d, d, a.k.col_stride, nk, a.k.row_stride, ldk, a.kq, &o->k);
      for (int32_t& s : o->k.col_sum) s *= zq;
      // V's packing covers whole key chunks (nkp keys, zero past nk).
      PackAttentionOperand({pv, in.v_codes, vo[b]}, nk, nkp, a.v.row_stride, dv, a.v.col_stride, dvp, a.vq, &o->v);
      for (int32_t& s : o->v.col_sum) s *= zp;
    };

    struct Scratch {
      std::vector<int32_t> scores, out;
      std::vector<uint8_t> qa, pa;
      std::vector<float> qf, rel_h, rel_w, rel_gemm;
      BatchOperands own;
    };
    const bool q_dense = a.q.col_stride == 1;
    auto make_scratch = [&] {
      Scratch s;
      s.scores.resize(static_cast<size_t>((kQueryBlock + kSpareRows) * ldk));
      s.out.resize(static_cast<size_t>((kQueryBlock + kSpareRows) * dvp));
      s.qa.assign(static_cast<size_t>(kQueryBlock * d4 * 4), 0);
      s.pa.assign(static_cast<size_t>(kQueryBlock * nkp), 0);
      if (a.rel_tables) {
        if (!q_dense) s.qf.resize(static_cast<size_t>(kQueryBlock * d));
        s.rel_h.resize(static_cast<size_t>(kQueryBlock * khp));
        s.rel_w.resize(static_cast<size_t>(kQueryBlock * kwp));
      }
      return s;
    };
    auto block = [&](int64_t b, int64_t i0, const BatchOperands& o, Scratch& s) {
      std::array<const uint8_t*, kQueryBlock> rows{}, chunk_rows{};
      std::array<const float*, kQueryBlock> float_rows{};  // for the rel-pos terms
      std::array<int32_t, kQueryBlock> p_term{};
      const int64_t n_rows = std::min(kQueryBlock, nq - i0);
      const int64_t q_at = qo[b] + i0 * a.q.row_stride;
      // uint8 codes in whole VNNI groups are the tile's A rows as they are; otherwise the rows
      // are quantized (or shifted) into scratch.
      const bool q_in_place = in.q_codes && a.qq.u8 && a.q.col_stride == 1 && d % 4 == 0;
      OperandRowsToBytes<uint8_t>({pq, in.q_codes, q_at}, a.q.row_stride, a.q.col_stride, n_rows, d, a.qq,
                                  ToUnsigned(a.qq), q_in_place ? nullptr : s.qa.data(), d4 * 4, p_term.data(),
                                  nullptr);
      for (int64_t r = 0; r < n_rows; ++r) {
        p_term[r] = zk * p_term[r] - static_cast<int32_t>(d) * zq * zk;  // the row's zero-point terms
        rows[r] = q_in_place ? static_cast<const uint8_t*>(in.q_codes) + q_at + r * a.q.row_stride
                             : s.qa.data() + r * d4 * 4;
        if (a.rel_tables) {  // decomposed terms from the unquantized row (sam_attention.h)
          const float* qrow = pq + q_at + r * a.q.row_stride;
          const float* qf = qrow;
          if (!q_dense) {
            for (int64_t c = 0; c < d; ++c) s.qf[r * d + c] = qrow[c * a.q.col_stride];
            qf = s.qf.data() + r * d;
          }
          float_rows[r] = qf;
        }
      }
      if (a.rel_tables)
        rel_terms.ComputeBlock(float_rows.data(), n_rows, i0, s.rel_h.data(), s.rel_w.data(), &s.rel_gemm);
      Int8TiledProduct(rows.data(), n_rows, o.k.codes.data(), ldk, nkp, d4, s.scores.data(), ldk, false);
      for (int64_t r = 0; r < n_rows; ++r) {
        const int64_t qi = b * nq + i0 + r;
        int32_t* acc = s.scores.data() + r * ldk;
        const IntegerScores ints{o.k.col_sum.data(), p_term[r], score_mult};
        float* sr = reinterpret_cast<float*>(acc);
        const float* bias_row = pbias ? pbias + ((b % a.bias_batches) * nq + i0 + r) * nk : nullptr;
        const float* rh = rel_terms.h(qi, s.rel_h.data() + r * khp);
        const float* rw = rel_terms.w(qi, s.rel_w.data() + r * kwp);
        const float inv_sum =
            BiasExpRow(sr, nk, nkp, a.scale, rh, kh, rw, kw, bias_row, rel_terms.small(), &ints);
        uint8_t* pa = s.pa.data() + r * nkp;  // keys nk..nkp stay 0 (V's packed rows there are 0 too)
        const int32_t sum = QuantizeProbRow(sr, nk, inv_sum / pq8.scale, pq8, ToUnsigned(pq8), pa);
        p_term[r] = zv * sum - static_cast<int32_t>(nk) * zp * zv;
        rows[r] = pa;
      }
      for (int64_t k0 = 0; k0 < nkp; k0 += kKeyChunk) {
        for (int64_t r = 0; r < n_rows; ++r) chunk_rows[r] = rows[r] + k0;
        Int8TiledProduct(chunk_rows.data(), n_rows, o.v.codes.data() + k0 * dvp, dvp, dvp,
                         std::min(kKeyChunk, nkp - k0) / 4, s.out.data(), dvp, k0 > 0);
      }
      for (int64_t r = 0; r < n_rows; ++r)
        OutputRow(s.out.data() + r * dvp, o.v.col_sum.data(), p_term[r], out_mult, dv,
                  py + yo[b] + (i0 + r) * a.y.row_stride, a.y.col_stride);
    };

    // Many batch indices (windows x heads): whole batches per task, packed right before use.
    // Few (global attention): all packed up front, query blocks spread over the threads.
    const int64_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
    if (nb >= 4 * static_cast<int64_t>(num_threads())) {
      parallel_for(nb, 1, [&](int64_t b0, int64_t b1) {
        Scratch s = make_scratch();
        for (int64_t b = b0; b < b1; ++b) {
          pack(b, &s.own);
          for (int64_t i0 = 0; i0 < nq; i0 += kQueryBlock) block(b, i0, s.own, s);
        }
      });
      return Status::Ok();
    }
    std::vector<BatchOperands> packed(static_cast<size_t>(nb));
    parallel_for(nb, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) pack(b, &packed[b]);
    });
    parallel_for(nb * blocks, 1, [&](int64_t t0, int64_t t1) {
      Scratch s = make_scratch();
      for (int64_t t = t0; t < t1; ++t) block(t / blocks, (t % blocks) * kQueryBlock, packed[t / blocks], s);
    });
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<rt::Kernel> MakeFastInt8Attention(const rt::KernelBuildInfo& info, std::string* why) {
  if (!info.node.has_input(10)) {
    *why = "float operands (no inputs 10..15)";
    return nullptr;
  }
  for (size_t i = 0; i < info.input_types.size(); ++i) {
    const DType t = info.input_types[i].dtype;
    const bool codes = i < 3 && (t == DType::kUInt8 || t == DType::kInt8);  // checked by GetAttentionDims
    if (info.node.has_input(static_cast<int>(i)) && !IsAttentionZeroPoint(static_cast<int>(i)) && !codes &&
        t != DType::kFloat32) {
      *why = "only float32 (or 8-bit code) operands and float32 scales";
      return nullptr;
    }
  }
  return std::make_unique<FastInt8Attention>();
}

}  // namespace samq::backends::fast
