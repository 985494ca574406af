// The integer attention: com.samq Attention with Q's, K's and V's quantization moved in (inputs
// 10..15), run by fast.attention_u8s8 (backends/cpu/fast_int8_attention.cpp) on u8 x s8 tiles
// (int8_tile.h). Checked in three steps: the tiles against plain integer sums (VNNI and the
// portable loop); the meaning of inputs 10..15 on ref.Attention (the same as quantize-dequantize
// in front of the node, so the fused graph computes what the QDQ file says); and the integer
// kernel against ref.Attention over the layouts, biases, zero points and code types a QDQ file
// can bring. End to end against ONNX Runtime: tests/quant (QuantizeAttention).
#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <random>

#include "backends/cpu/int8_attention_operands.h"
#include "backends/cpu/int8_tile.h"
#include "core/quantize_math.h"
#include "linalg_test_util.h"

namespace samq::testing::linalg {
namespace {

TEST(Int8Tile, MatchesPlainIntegerSums) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  for (int64_t rows : {1, 5, 8, 13}) {
    for (int64_t width : {16, 48, 80}) {
      for (int64_t k4 : {1, 5, 16}) {
        SCOPED_TRACE(::testing::Message() << rows << " rows, width " << width << ", depth " << 4 * k4);
        const int64_t ld = width + 16, ldc = width;  // B wider than the columns used
        std::vector<uint8_t> a(static_cast<size_t>(rows * 4 * k4));
        std::vector<int8_t> b(static_cast<size_t>(k4 * ld * 4));
        for (auto& x : a) x = static_cast<uint8_t>(u8(gen));
        for (auto& x : b) x = static_cast<int8_t>(s8(gen));
        std::vector<const uint8_t*> a_rows;
        for (int64_t r = 0; r < rows; ++r) a_rows.push_back(a.data() + r * 4 * k4);
        std::vector<int32_t> want(static_cast<size_t>(rows * ldc), 0);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < width; ++j)
            for (int64_t k = 0; k < 4 * k4; ++k)
              want[r * ldc + j] += int32_t{a[r * 4 * k4 + k]} * b[((k / 4) * ld + j) * 4 + k % 4];
        for (bool portable : {false, true}) {
          std::vector<int32_t> got(static_cast<size_t>((rows + 8) * ldc), 1);  // 1: accumulate adds to it
          auto run = portable ? backends::fast::Int8TiledProductPortable : backends::fast::Int8TiledProduct;
          run(a_rows.data(), rows, b.data(), ld, width, k4, got.data(), ldc, false);
          for (int64_t i = 0; i < rows * ldc; ++i) ASSERT_EQ(got[i], want[i]) << "element " << i << " portable " << portable;
          run(a_rows.data(), rows, b.data(), ld, width, k4, got.data(), ldc, true);
          for (int64_t i = 0; i < rows * ldc; ++i) ASSERT_EQ(got[i], 2 * want[i]) << "accumulated, element " << i;
        }
      }
    }
  }
  std::printf("[int8 tile] vpdpbusd on this CPU: %s\n", backends::fast::Int8TilesUseVnni() ? "yes" : "no");
}

// Copying code rows (the qkv projection's codes) into an operand: each code plus the offset, as
// bytes of the operand's type, with row and column sums; contiguous rows of lengths around the
// vector widths (1 to 65) and strided ones, each output optional.
TEST(Int8AttentionOperands, CopiedCodeRowsAddTheOffsetAndSum) {
  std::mt19937 gen(4);
  std::uniform_int_distribution<int> byte(0, 255);
  for (bool src_u8 : {true, false})
    for (int64_t n : {1, 7, 16, 17, 32, 33, 64, 65})
      for (int64_t col_stride : {1, 3})
        for (bool outputs : {true, false}) {
          const int64_t rows = 5, row_stride = n * col_stride + 2, pitch = n + 3;
          std::vector<uint8_t> src(static_cast<size_t>(rows * row_stride));
          for (auto& b : src) b = static_cast<uint8_t>(byte(gen));
          const int32_t offset = src_u8 ? -128 : 128;  // u8 codes into int8 bytes, and back
          std::vector<int32_t> want_rows(rows, 0), want_cols(static_cast<size_t>(n), 5);
          std::vector<int8_t> want(static_cast<size_t>(rows * pitch), 0);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < n; ++c) {
              const uint8_t b = src[r * row_stride + c * col_stride];
              const int32_t code = (src_u8 ? static_cast<int32_t>(b) : static_cast<int32_t>(static_cast<int8_t>(b))) + offset;
              want[r * pitch + c] = static_cast<int8_t>(code);
              want_rows[r] += code;
              want_cols[c] += code;
            }
          std::vector<int32_t> got_rows(rows, -1), got_cols(static_cast<size_t>(n), 5);
          std::vector<int8_t> got(static_cast<size_t>(rows * pitch), 0);
          backends::fast::CopyOperandCodes<int8_t>(src.data(), src_u8, row_stride, col_stride, rows, n, offset,
                                                   outputs ? got.data() : nullptr, pitch,
                                                   outputs ? got_rows.data() : nullptr, got_cols.data());
          const std::string at = "src_u8 " + std::to_string(src_u8) + " n " + std::to_string(n) + " col_stride " +
                                 std::to_string(col_stride);
          EXPECT_EQ(got_cols, want_cols) << at;
          if (outputs) {
            EXPECT_EQ(got, want) << at;  // including the untouched pitch padding
            EXPECT_EQ(got_rows, want_rows) << at;
          } else {
            EXPECT_EQ(got, std::vector<int8_t>(want.size(), 0)) << at;
          }
        }
}

// Packing K and V from codes (PackAttentionOperand: AVX-512 gathers and interleaves where the CPU
// has them, attention_code_pack.h, the portable lines elsewhere) against the layout's definition:
// codes[(g * ld + j) * 4 + t] = signed code of (depth 4g + t, column j), zero past the depth and the
// columns, col_sum[j] = the column's sum. K runs along the depth (key rows), V along the columns;
// sizes around 16 and 4 (tails of the gathers, the interleave and the last key group), depths not
// a multiple of 4 (the portable path), u8 and s8 codes, and the packing reused for a second batch.
TEST(Int8AttentionOperands, PackedCodesFollowTheLayout) {
  std::mt19937 gen(8);
  std::uniform_int_distribution<int> byte(0, 255);
  using backends::fast::AttentionOperandQuant;
  using backends::fast::OperandSource;
  using backends::fast::PackedOperand;
  for (bool u8 : {true, false}) {
    AttentionOperandQuant q;
    q.u8 = u8;
    q.qmin = u8 ? 0.0f : -128.0f;
    q.qmax = u8 ? 255.0f : 127.0f;
    for (bool key_rows : {true, false}) {
      for (int64_t depth : {4, 32, 49, 30}) {
        for (int64_t cols : {1, 16, 17, 49, 32}) {
          // K: element (c, j) at j * stride + c (a key's depth contiguous, keys a qkv row apart).
          // V: element (k, c) at k * stride + c (a key's columns contiguous).
          const int64_t stride = (key_rows ? depth : cols) * 3 + 5, lines = key_rows ? cols : depth;
          // K is packed to its depth, V to whole key chunks of 16 (as the kernel calls it).
          const int64_t ld = (cols + 15) / 16 * 16, padded = key_rows ? depth : (depth + 15) / 16 * 16;
          const int64_t groups = (padded + 3) / 4;
          PackedOperand out;
          for (int batch = 0; batch < 2; ++batch) {
            std::vector<uint8_t> src(static_cast<size_t>(lines * stride + 7));
            for (auto& b : src) b = static_cast<uint8_t>(byte(gen));
            auto at = [&](int64_t c, int64_t j) { return key_rows ? j * stride + c : c * stride + j; };
            std::vector<int8_t> want(static_cast<size_t>(groups * ld * 4), 0);
            std::vector<int32_t> want_sum(static_cast<size_t>(ld), 0);
            for (int64_t c = 0; c < depth; ++c)
              for (int64_t j = 0; j < cols; ++j) {
                const uint8_t b = src[at(c, j) + 3];
                const int32_t code = u8 ? b - 128 : static_cast<int8_t>(b);
                want[((c / 4) * ld + j) * 4 + c % 4] = static_cast<int8_t>(code);
                want_sum[j] += code;
              }
            OperandSource s;
            s.codes = src.data();
            s.at = 3;
            if (key_rows)
              backends::fast::PackAttentionOperand(s, depth, padded, 1, cols, stride, ld, q, &out);
            else
              backends::fast::PackAttentionOperand(s, depth, padded, stride, cols, 1, ld, q, &out);
            const std::string what = (key_rows ? "K" : "V") + std::string(u8 ? " u8" : " s8") + " depth " +
                                     std::to_string(depth) + " cols " + std::to_string(cols) + " batch " +
                                     std::to_string(batch);
            ASSERT_GE(out.codes.size(), want.size()) << what;
            EXPECT_EQ(std::vector<int8_t>(out.codes.begin(), out.codes.begin() + static_cast<int64_t>(want.size())),
                      want)
                << what;
            for (size_t i = want.size(); i < out.codes.size(); ++i) ASSERT_EQ(out.codes[i], 0) << what << " at " << i;
            EXPECT_EQ(out.col_sum, want_sum) << what;
          }
        }
      }
    }
  }
}

// The operands' quantizing rows (int8_attention_operands.h) give QuantizeLinear's codes for every
// value, ties, saturation, infinities and NaN included, plus the offset that changes the code
// type, and their row and column sums; contiguous and strided rows, lengths not a multiple of 16.
TEST(Int8AttentionOperands, QuantizedRowsAreQuantizeLinear) {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  using backends::fast::AttentionOperandQuant;
  for (bool u8 : {true, false}) {
    AttentionOperandQuant q;
    q.u8 = u8;
    q.scale = 0.05f;
    q.zero_point = u8 ? 121.0f : -3.0f;
    q.qmin = u8 ? 0.0f : -128.0f;
    q.qmax = u8 ? 255.0f : 127.0f;
    for (int64_t col_stride : {1, 3}) {
      const int64_t rows = 5, n = 37, row_stride = n * col_stride + 2;
      std::vector<float> x(static_cast<size_t>(rows * row_stride));
      for (auto& v : x) v = normal(gen);
      // Exact ties (k + 0.5 steps), far outside the range, infinities and NaN.
      const float specials[] = {0.025f, -0.075f, 0.125f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 6.375f, -6.425f};
      for (size_t i = 0; i < std::size(specials); ++i) x[i * col_stride] = specials[i];
      const int32_t offset = u8 ? -128 : 128;  // to the other code type, as the kernel packs K and V
      std::vector<int32_t> row_sums(rows), col_sums(n, 0);
      auto check = [&](auto* out, int64_t pitch) {
        std::vector<int32_t> want_cols(n, 0);
        for (int64_t r = 0; r < rows; ++r) {
          int32_t want_sum = 0;
          for (int64_t c = 0; c < n; ++c) {
            const float v = x[r * row_stride + c * col_stride];
            const int32_t want = static_cast<int32_t>(QuantizeToFloat(v, q.scale, q.zero_point, q.qmin, q.qmax)) + offset;
            ASSERT_EQ(static_cast<int32_t>(out[r * pitch + c]), want) << "row " << r << " col " << c << " x " << v;
            want_sum += want;
            want_cols[c] += want;
          }
          EXPECT_EQ(row_sums[r], want_sum) << "row " << r;
        }
        for (int64_t c = 0; c < n; ++c) EXPECT_EQ(col_sums[c], want_cols[c]) << "col " << c;
      };
      const int64_t pitch = 40;
      if (u8) {  // u8 codes shifted to int8
        std::vector<int8_t> out(static_cast<size_t>(rows * pitch), 0);
        backends::fast::QuantizeOperandRows<int8_t>(x.data(), row_stride, col_stride, rows, n, q, offset, out.data(),
                                                    pitch, row_sums.data(), col_sums.data());
        check(out.data(), pitch);
      } else {
        std::vector<uint8_t> out(static_cast<size_t>(rows * pitch), 0);
        backends::fast::QuantizeOperandRows<uint8_t>(x.data(), row_stride, col_stride, rows, n, q, offset,
                                                     out.data(), pitch, row_sums.data(), col_sums.data());
        check(out.data(), pitch);
      }
    }
  }
}

// One operand's quantization: its scale and a uint8 or int8 zero point.
struct OperandQ {
  float scale;
  bool u8;
  int zero_point;
  Tensor ScaleTensor() const { return Tensor::FromVector<float>({}, {scale}); }
  Tensor ZeroTensor() const {
    return u8 ? Tensor::FromVector<uint8_t>({}, {static_cast<uint8_t>(zero_point)})
              : Tensor::FromVector<int8_t>({}, {static_cast<int8_t>(zero_point)});
  }
  // QuantizeLinear -> DequantizeLinear of every element, as a QDQ file's pair computes it.
  Tensor QuantDequant(const Tensor& x) const {
    Tensor out = Tensor::Zeros(DType::kFloat32, x.shape());
    const float lo = u8 ? 0.0f : -128.0f, hi = u8 ? 255.0f : 127.0f, z = static_cast<float>(zero_point);
    for (int64_t i = 0; i < x.numel(); ++i)
      out.data<float>()[i] = (QuantizeToFloat(x.data<float>()[i], scale, z, lo, hi) - z) * scale;
    return out;
  }
};

struct IntCase {
  Shape batch;  // leading dims of Q, K, V
  int64_t nq, nk, d, dv;
  bool k_transposed;
  int rel;  // 0: none, 1: precomputed rel_h / rel_w (inputs 3, 4), 2: tables (inputs 6, 7), 3: get_rel_pos tables
  int64_t grid_h, kh;  // with rel: Nq = grid_h * (nq / grid_h), Nk = kh * (nk / kh)
  bool bias;
  float scale;
  OperandQ q, k, v, p;
};

struct Built {
  std::vector<Tensor> owned;
  std::vector<const Tensor*> ins;
  ir::Node node;
};

// The node and inputs of case c: `integer` moves Q's, K's, V's quantization in (inputs 10..15);
// otherwise the inputs are the quantize-dequantized operands (the QDQ graph's view).
Built Build(const IntCase& c, uint32_t seed, bool integer) {
  auto with = [&](Shape tail) {
    Shape s = c.batch;
    s.insert(s.end(), tail.begin(), tail.end());
    return s;
  };
  int64_t nb = 1;
  for (int64_t x : c.batch) nb *= x;
  Built b;
  b.owned.reserve(16);
  auto add = [&](Tensor t) {
    b.owned.push_back(std::move(t));
    return &b.owned.back();
  };
  Tensor q = Random(with({c.nq, c.d}), seed, 1.5f);
  Tensor k = Random(c.k_transposed ? with({c.d, c.nk}) : with({c.nk, c.d}), seed + 1);
  Tensor v = Random(with({c.nk, c.dv}), seed + 2);
  b.ins = {add(integer ? q : c.q.QuantDequant(q)), add(integer ? k : c.k.QuantDequant(k)),
           add(integer ? v : c.v.QuantDequant(v))};
  b.ins.resize(8, nullptr);
  const int64_t gw = c.rel ? c.nq / c.grid_h : 0, kw = c.rel ? c.nk / c.kh : 0;
  if (c.rel == 1) {
    b.ins[3] = add(Random({nb, c.grid_h, gw, c.kh}, seed + 3));
    b.ins[4] = add(Random({nb, c.grid_h, gw, kw}, seed + 4));
  } else if (c.rel >= 2) {
    b.ins[6] = add(RelPosTable(c.grid_h, c.kh, c.d, seed + 3, c.rel == 3));
    b.ins[7] = add(RelPosTable(gw, kw, c.d, seed + 4, c.rel == 3));
  }
  if (c.bias) b.ins[5] = add(Random({c.batch.back(), c.nq, c.nk}, seed + 5));
  b.ins.push_back(add(c.p.ScaleTensor()));
  b.ins.push_back(add(c.p.ZeroTensor()));
  if (integer)
    for (const OperandQ* o : {&c.q, &c.k, &c.v}) {
      b.ins.push_back(add(o->ScaleTensor()));
      b.ins.push_back(add(o->ZeroTensor()));
    }
  b.node = MakeNode("Attention", static_cast<int>(b.ins.size()),
                    {AttrF("scale", c.scale), AttrI("k_transposed", c.k_transposed ? 1 : 0)});
  b.node.domain = "com.samq";
  return b;
}

const std::vector<IntCase>& Cases() {
  static const std::vector<IntCase> cases = {
      // SAM ViT global block (small): u8 everywhere, scale folded into Q, tables computed from Q.
      {{2}, 64, 64, 16, 16, true, 2, 8, 8, false, 1.0f, {0.02f, true, 128}, {0.02f, true, 120}, {0.03f, true, 130},
       {1.0f / 255.0f, true, 0}},
      // The same with SAM's own (get_rel_pos) tables (the shared-base path), 17 x 16 queries: a table
      // wider than a vector and KW = 16 (the global grid's one-pass layout).
      {{2}, 272, 272, 16, 16, true, 3, 17, 17, false, 1.0f, {0.02f, true, 128}, {0.02f, true, 120},
       {0.03f, true, 130}, {1.0f / 255.0f, true, 0}},
      // SAM ViT windowed shape: precomputed rel terms, K untransposed, zero points off-centre.
      {{3}, 196, 196, 32, 32, false, 1, 14, 14, false, 0.2f, {0.05f, true, 100}, {0.04f, true, 140},
       {0.02f, true, 127}, {0.004f, true, 3}},
      // TinyViT window: per-head bias, all int8 (symmetric and not), odd sizes, Dv padded.
      {{2, 4}, 49, 49, 16, 20, true, 0, 0, 0, true, 0.25f, {0.03f, false, 0}, {0.03f, false, -7}, {0.05f, false, 5},
       {1.0f / 127.0f, false, -128}},
      // Hiera q-pooled: Nq < Nk, mixed code types, D not a multiple of 4 (padded depth).
      {{1, 3}, 16, 64, 9, 16, true, 0, 0, 0, false, 0.33f, {0.04f, false, 0}, {0.03f, true, 128},
       {0.04f, false, 2}, {1.0f / 255.0f, true, 0}},
      // Many batch indices (the per-batch schedule), Nk not a multiple of 16, coarse P.
      {{12}, 21, 35, 8, 8, false, 0, 0, 0, false, 0.5f, {0.05f, true, 128}, {0.05f, false, 0}, {0.05f, true, 128},
       {0.05f, false, -5}},
      // The same schedule with K's rows along the depth (packed column by column) and D = 7: a depth
      // tail in every column's last group, in a line buffer V's packing reuses between batches.
      {{16}, 10, 19, 7, 5, false, 0, 0, 0, false, 0.4f, {0.05f, true, 128}, {0.04f, false, 3}, {0.05f, true, 120},
       {1.0f / 255.0f, true, 0}},
  };
  return cases;
}

// Inputs 10..15 mean quantize-dequantize in front of the node: on the reference the two forms
// are the same computation (the dequantized values, summed in double).
TEST(Int8Attention, OperandQuantizationIsQuantDequantInFront) {
  uint32_t seed = 500;
  for (const IntCase& c : Cases()) {
    SCOPED_TRACE(::testing::Message() << "Nq " << c.nq << " Nk " << c.nk << " D " << c.d);
    const Built integer = Build(c, seed, true), in_front = Build(c, seed, false);
    seed += 10;
    const Tensor a = Eval1(integer.node, integer.ins, "ref.Attention");
    const Tensor b = Eval1(in_front.node, in_front.ins, "ref.Attention");
    ASSERT_TRUE(a.defined() && b.defined());
    if (c.rel >= 2) continue;  // tables read Q as given: unquantized in one form, not the other
    ExpectClose(b, a, 1e-7, "inputs 10..15 vs QuantDequant in front");
  }
}

// The integer kernel against the reference. P is quantized from float scores (fast) or double
// ones (ref), so a P/scale within an ulp of a rounding boundary may land on the neighbouring step:
// such flips must be rare and move an output by at most a step times |V|.
TEST(Int8Attention, FastMatchesReference) {
  uint32_t seed = 500;
  for (const IntCase& c : Cases()) {
    SCOPED_TRACE(::testing::Message() << "Nq " << c.nq << " Nk " << c.nk << " D " << c.d << " Dv " << c.dv
                                      << " rel " << c.rel);
    const Built b = Build(c, seed, true);
    seed += 10;
    const Tensor want = Eval1(b.node, b.ins, "ref.Attention");
    const Tensor got = Eval1(b.node, b.ins, "fast.attention_u8s8");
    ASSERT_TRUE(want.defined() && got.defined());
    ASSERT_EQ(got.shape(), want.shape());
    ExpectRareRoundingFlips(want, got, c.p.scale, *b.ins[2]);
  }
}

// Q, K and V as their codes (what passes/fuse_attention_codes makes the qkv projection emit):
// the codes of QuantizeLinear(x) give what x gives, on both kernels, bit for bit (the reference
// dequantizes the same values; the integer kernel multiplies the same codes). Q stays float where
// the rel-pos tables need it; everything else in every case arrives as codes.
TEST(Int8Attention, CodeOperandsGiveTheFloatOperandsResult) {
  uint32_t seed = 900;
  for (const IntCase& c : Cases()) {
    SCOPED_TRACE(::testing::Message() << "Nq " << c.nq << " Nk " << c.nk << " D " << c.d << " rel " << c.rel);
    Built b = Build(c, seed, true);
    seed += 10;
    const Tensor from_float_ref = Eval1(b.node, b.ins, "ref.Attention");
    const Tensor from_float_fast = Eval1(b.node, b.ins, "fast.attention_u8s8");
    std::vector<Tensor> codes;
    codes.reserve(3);
    const OperandQ* quants[3] = {&c.q, &c.k, &c.v};
    for (int o = 0; o < 3; ++o) {
      if (o == 0 && c.rel >= 2) continue;
      const OperandQ& q = *quants[o];
      const Tensor& x = *b.ins[o];
      Tensor t = Tensor::Zeros(q.u8 ? DType::kUInt8 : DType::kInt8, x.shape());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const float v = x.data<float>()[i];
        if (q.u8) t.data<uint8_t>()[i] = QuantizeScalar<uint8_t>(v, q.scale, q.zero_point);
        else t.data<int8_t>()[i] = QuantizeScalar<int8_t>(v, q.scale, q.zero_point);
      }
      codes.push_back(std::move(t));
      b.ins[o] = &codes.back();
    }
    const Tensor ref = Eval1(b.node, b.ins, "ref.Attention");
    const Tensor fast = Eval1(b.node, b.ins, "fast.attention_u8s8");
    ASSERT_TRUE(ref.defined() && fast.defined());
    EXPECT_EQ(CountDiffering(from_float_ref, ref), 0);
    EXPECT_EQ(CountDiffering(from_float_fast, fast), 0);
  }
}

TEST(Int8Attention, CodesOfTheWrongTypeAreUserErrors) {
  const IntCase& c = Cases()[3];  // int8 everywhere
  Built b = Build(c, 3, true);
  const Tensor u8_codes = Tensor::Zeros(DType::kUInt8, b.ins[1]->shape());  // K's zero point is int8
  b.ins[1] = &u8_codes;
  for (const char* kernel : {"ref.Attention", "fast.attention_u8s8"}) {
    auto r = Eval(b.node, b.ins, kernel);
    ASSERT_FALSE(r.ok()) << kernel;
    EXPECT_NE(r.status().message().find("zero point"), std::string::npos) << r.status().message();
  }
  // Codes without the operands' quantization (a float attention) say so.
  Built plain = Build(c, 3, false);
  plain.ins.resize(10);
  const Tensor q_codes = Tensor::Zeros(DType::kInt8, plain.ins[0]->shape());
  plain.ins[0] = &q_codes;
  ir::Node node = plain.node;
  node.inputs.resize(10);
  EXPECT_FALSE(Eval(node, plain.ins, "ref.Attention").ok());
}

TEST(Int8Attention, MalformedParametersAreUserErrors) {
  const Built b = Build(Cases()[0], 1, true);
  auto run = [&](std::vector<const Tensor*> ins) { return Eval(b.node, ins, "fast.attention_u8s8"); };
  EXPECT_TRUE(run(b.ins).ok());
  std::vector<const Tensor*> missing = b.ins;
  missing[13] = nullptr;  // K's zero point
  EXPECT_FALSE(run(missing).ok());
  std::vector<const Tensor*> no_p = b.ins;
  no_p[8] = no_p[9] = nullptr;  // operands quantized, P not: not a form the kernels take
  EXPECT_FALSE(Eval(b.node, no_p, "ref.Attention").ok());
  const Tensor two = Tensor::FromVector<float>({2}, {0.1f, 0.2f});
  std::vector<const Tensor*> two_scales = b.ins;
  two_scales[14] = &two;  // V's scale per channel: only per-tensor is supported
  EXPECT_FALSE(run(two_scales).ok());
}

}  // namespace
}  // namespace samq::testing::linalg
