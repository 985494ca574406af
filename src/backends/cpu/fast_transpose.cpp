// fast.Transpose: any rank, permutation and element size (1, 2, 4 or 8 bytes: every dtype samq
// moves), bit-identical to ref.Transpose (it only moves bytes).
//
// The permutation is first simplified as ref.Transpose does: size-1 dims dropped, output
// neighbours that are also input neighbours in order merged. Then one of three cases:
//   - one dim left: the permutation keeps memory order (SAM's [B, N, 1, C] -> [B, 1, N, C] head
//     split with one head, Hiera stage 1). The output is a view of the input: no copy at all.
//   - the input's contiguous dim stays innermost (window partition, head split with several
//     heads, [3, B, heads, N, d] in ViT-B): rows are copied (fast_copy.h, streaming stores for
//     large outputs).
//   - otherwise (NCHW <-> NHWC, K^T): a tiled 2-D transpose between the dim `a` that the input
//     walks contiguously and the output's innermost dim `b`, for each index of the other dims.
//     Float32 (any 4-byte type) uses 16x16 tiles transposed in AVX-512 registers: 16 loads of
//     16 contiguous input elements, 16 stores of 16 contiguous output elements, masked on the
//     edges; a tile row of 16 elements fills one 64-byte output line, so large outputs are
//     written with streaming stores when their lines are aligned (fast_copy.h). Other element
//     sizes, CPUs without AVX-512, and matrices with a side under 16 (Hiera's [384 x 4] per
//     window, where the 48 shuffles of a tile would move mostly empty lanes) use the same tiling
//     with a scalar loop.
// Jobs are (outer index, group of 16-row bands of b, chunk of a) so that both a huge a (NCHW ->
// NHWC at 256x256) and many small matrices (1024 windows x [64 x 96]) spread over the threads;
// a band reads 16 input rows sequentially, which the hardware prefetchers follow.
#include <algorithm>
#include <numeric>

#include "backends/cpu/fast_copy.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/reference/shape_util.h"
#include "core/parallel.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SAMQ_HAVE_AVX512_PATH 1
#endif

namespace samq::backends::fast {
namespace {

constexpr int64_t kTile = 16;
// Elements of a taken per job (a multiple of kTile): 16 rows x 1024 x 4 bytes = 64 KiB read.
constexpr int64_t kChunkA = 1024;

// Output dims (dense) and each one's input element stride, after simplification.
struct Plan {
  Shape dims, in_strides;
};

Plan Simplify(const Shape& in_dims, const std::vector<int64_t>& perm) {
  const Shape in_strides = ContiguousStrides(in_dims);
  Shape dims(perm.size()), strides(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) {
    dims[j] = in_dims[perm[j]];
    strides[j] = in_strides[perm[j]];
  }
  Plan p;
  MergeBox(dims, strides, &p.dims, &p.in_strides);
  return p;
}

// One band of the 2-D problem: input rows b0 .. b0+nb (stride in_b) and columns [a_begin, a_end)
// (contiguous), written to out[a * out_a + b]. `in` and `out` point at element [0, 0].
template <typename E>
void BandScalar(const E* in, int64_t in_b, E* out, int64_t out_a, int64_t a_begin, int64_t a_end,
                int64_t b0, int64_t nb) {
  for (int64_t a0 = a_begin; a0 < a_end; a0 += kTile) {
    const int64_t na = std::min(kTile, a_end - a0);
    for (int64_t x = 0; x < na; ++x) {
      E* d = out + (a0 + x) * out_a + b0;
      const E* s = in + b0 * in_b + a0 + x;
      for (int64_t y = 0; y < nb; ++y) d[y] = s[y * in_b];
    }
  }
}

#ifdef SAMQ_HAVE_AVX512_PATH
const bool kAvx512 = __builtin_cpu_supports("avx512f");

// r[i] = row i of a 16x16 float tile -> r[i] = column i. Three rounds of shuffles: 2x2 blocks of
// elements within 128-bit lanes (unpack), 4x4 within lanes (shuffle_ps), then 128-bit lanes
// across registers (two rounds of shuffle_f32x4). The maskz forms with all lanes set are the
// plain instructions; the unmasked intrinsics start from an "undefined" vector GCC 12 warns about.
__attribute__((target("avx512f"))) inline void Transpose16x16(__m512 r[16]) {
  constexpr __mmask16 kAll = 0xFFFF;
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_maskz_unpacklo_ps(kAll, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * i], r[2 * i + 1]);
  }
  // r[4i + j], lane L: rows 4i..4i+3 of column 4L + j.
  for (int i = 0; i < 4; ++i) {
    r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i + 0], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // t[j] = rows 0-3 and 4-7 of columns j, 8+j; t[4+j] the same for 4+j, 12+j; t[8+j], t[12+j]
  // likewise for rows 8-15.
  for (int j = 0; j < 4; ++j) {
    t[j] = _mm512_maskz_shuffle_f32x4(kAll, r[j], r[4 + j], 0x88);
    t[4 + j] = _mm512_maskz_shuffle_f32x4(kAll, r[j], r[4 + j], 0xDD);
    t[8 + j] = _mm512_maskz_shuffle_f32x4(kAll, r[8 + j], r[12 + j], 0x88);
    t[12 + j] = _mm512_maskz_shuffle_f32x4(kAll, r[8 + j], r[12 + j], 0xDD);
  }
  for (int j = 0; j < 4; ++j) {
    r[j] = _mm512_maskz_shuffle_f32x4(kAll, t[j], t[8 + j], 0x88);
    r[8 + j] = _mm512_maskz_shuffle_f32x4(kAll, t[j], t[8 + j], 0xDD);
    r[4 + j] = _mm512_maskz_shuffle_f32x4(kAll, t[4 + j], t[12 + j], 0x88);
    r[12 + j] = _mm512_maskz_shuffle_f32x4(kAll, t[4 + j], t[12 + j], 0xDD);
  }
}

// BandScalar for 4-byte elements in 16x16 register tiles (moved as float bit patterns: shuffles
// never touch the values, so any 4-byte type, NaN payloads included, passes unchanged).
// `stream`: full tiles go out with streaming stores (the caller checked the alignment).
__attribute__((target("avx512f"))) void BandAvx512(const float* in, int64_t in_b, float* out, int64_t out_a,
                                                   int64_t a_begin, int64_t a_end, int64_t b0, int64_t nb,
                                                   bool stream) {
  const __mmask16 bmask = static_cast<__mmask16>((1u << nb) - 1);
  const float* src = in + b0 * in_b;
  for (int64_t a0 = a_begin; a0 < a_end; a0 += kTile) {
    const int64_t na = std::min(kTile, a_end - a0);
    __m512 r[16];
    if (na == kTile && nb == kTile) {
      for (int y = 0; y < 16; ++y) r[y] = _mm512_loadu_ps(src + y * in_b + a0);
      Transpose16x16(r);
      float* d = out + a0 * out_a + b0;
      if (stream) {
        for (int x = 0; x < 16; ++x) _mm512_stream_ps(d + x * out_a, r[x]);
      } else {
        for (int x = 0; x < 16; ++x) _mm512_storeu_ps(d + x * out_a, r[x]);
      }
    } else {
      const __mmask16 amask = static_cast<__mmask16>((1u << na) - 1);
      for (int y = 0; y < 16; ++y)
        r[y] = y < nb ? _mm512_maskz_loadu_ps(amask, src + y * in_b + a0) : _mm512_setzero_ps();
      Transpose16x16(r);
      float* d = out + a0 * out_a + b0;
      for (int x = 0; x < na; ++x) _mm512_mask_storeu_ps(d + x * out_a, bmask, r[x]);
    }
  }
}
#else
const bool kAvx512 = false;
#endif

// The tiled 2-D transpose over every outer index. `a` is the plan dim with input stride 1, the
// last plan dim is b.
template <typename E>
void TransposeTiled(const E* in, const Plan& p, int a, E* out) {
  const int r = static_cast<int>(p.dims.size());
  const int b = r - 1;
  const Shape out_strides = ContiguousStrides(p.dims);
  std::vector<int> outer;
  for (int k = 0; k < r; ++k)
    if (k != a && k != b) outer.push_back(k);
  const int64_t A = p.dims[a], B = p.dims[b];
  const int64_t in_b = p.in_strides[b], out_a = out_strides[a];
  int64_t n_outer = 1;
  for (int k : outer) n_outer *= p.dims[k];
  const int64_t bands = (B + kTile - 1) / kTile;
  const int64_t chunk = std::min(A, kChunkA);
  const int64_t chunks = (A + chunk - 1) / chunk;
  // Bands per job: at least ~4K elements per job, so that small matrices (A = 4: a [384 x 4]
  // block per window) do not pay the job bookkeeping per 64 elements.
  const int64_t group = std::clamp<int64_t>(4096 / (kTile * chunk), 1, bands);
  const int64_t groups = (bands + group - 1) / group;
  // The register tile costs 48 shuffles whatever its fill; with A or B under 16 (a [384 x 4]
  // matrix per window) most lanes would be empty, and the scalar loop is faster.
  const bool simd = kAvx512 && A >= kTile && B >= kTile;
  const int64_t out_bytes = n_outer * A * B * static_cast<int64_t>(sizeof(E));
  // Streaming stores need every full tile row (16 elements of b at b0 = 16k, one per a) to be one
  // aligned 64-byte line: 4-byte elements, B and out_a multiples of 16, output aligned.
  const bool stream = sizeof(E) == 4 && simd && UseStreamingStores(out_bytes) && B % kTile == 0 &&
                      out_a % kTile == 0 && reinterpret_cast<uintptr_t>(out) % 64 == 0;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / (kTile * chunk * group));
  parallel_for(n_outer * groups * chunks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t job = begin; job < end; ++job) {
      const int64_t c = job % chunks, g = (job / chunks) % groups;
      int64_t rem = job / (chunks * groups);
      int64_t in_off = 0, out_off = 0;
      for (int i = static_cast<int>(outer.size()) - 1; i >= 0; --i) {
        const int k = outer[i];
        const int64_t idx = rem % p.dims[k];
        rem /= p.dims[k];
        in_off += idx * p.in_strides[k];
        out_off += idx * out_strides[k];
      }
      const int64_t a_begin = c * chunk, a_end = std::min(A, a_begin + chunk);
      for (int64_t band = g * group; band < std::min(bands, (g + 1) * group); ++band) {
        const int64_t b0 = band * kTile, nb = std::min(kTile, B - b0);
#ifdef SAMQ_HAVE_AVX512_PATH
        if constexpr (sizeof(E) == 4) {
          if (simd) {
            BandAvx512(reinterpret_cast<const float*>(in + in_off), in_b, reinterpret_cast<float*>(out + out_off),
                       out_a, a_begin, a_end, b0, nb, stream);
            continue;
          }
        }
#endif
        BandScalar(in + in_off, in_b, out + out_off, out_a, a_begin, a_end, b0, nb);
      }
    }
    if (stream) StreamFence();
  });
}

}  // namespace

void TransposeFloatMatrix(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  for (int64_t b0 = 0; b0 < rows; b0 += kTile) {
    const int64_t nb = std::min(kTile, rows - b0);
#ifdef SAMQ_HAVE_AVX512_PATH
    if (kAvx512 && cols >= kTile && rows >= kTile) {
      BandAvx512(src, lds, dst, ldd, 0, cols, b0, nb, false);
      continue;
    }
#endif
    BandScalar(src, lds, dst, ldd, 0, cols, b0, nb);
  }
}

namespace {

std::vector<int64_t> PermOf(const ir::Node& node, int64_t rank) {
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (!node.attr("perm")) {  // default: reverse the dims
    perm.resize(rank);
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  for (auto& v : perm)
    if (v < 0) v += rank;  // infer has checked the range and uniqueness
  return perm;
}

class FastTranspose : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Shape& out_dims = ctx.output_type(0).dims;
    if (in.numel() == 0) {
      ctx.output(0);  // empty
      return Status::Ok();
    }
    const Plan p = Simplify(in.shape(), PermOf(ctx.node(), in.rank()));
    if (p.dims.size() <= 1) {  // memory order kept: the output is the input, reshaped
      ctx.set_output(0, in.Reshaped(out_dims));
      return Status::Ok();
    }
    Tensor& out = ctx.output_for_overwrite(0);
    const size_t elem = dtype_size(in.dtype());
    const int r = static_cast<int>(p.dims.size());
    int a = -1;
    for (int k = 0; k < r; ++k)
      if (p.in_strides[k] == 1) a = k;
    if (a == r - 1 || a < 0) {  // rows stay contiguous (a < 0 cannot happen: the last input dim has stride 1)
      CopyBoxRows(in.raw(), 0, p.in_strides, p.dims, elem, out.raw());
      return Status::Ok();
    }
    switch (elem) {
      case 1: TransposeTiled(in.data<uint8_t>(), p, a, out.data<uint8_t>()); break;
      case 2: TransposeTiled(in.data<uint16_t>(), p, a, out.data<uint16_t>()); break;
      case 4: TransposeTiled(in.data<uint32_t>(), p, a, out.data<uint32_t>()); break;
      case 8: TransposeTiled(in.data<uint64_t>(), p, a, out.data<uint64_t>()); break;
      default: TransposeBytes(in.raw(), in.shape(), PermOf(ctx.node(), in.rank()), elem, out.raw()); break;
    }
    return Status::Ok();
  }
};

std::unique_ptr<rt::Kernel> MakeTranspose(const rt::KernelBuildInfo& info, std::string* why) {
  const DType t = info.input_types[0].dtype;
  const size_t elem = dtype_size(t);
  if (t != DType::kUndefined && elem != 1 && elem != 2 && elem != 4 && elem != 8) {
    *why = "element size " + std::to_string(elem) + " bytes; supported: 1, 2, 4, 8";
    return nullptr;
  }
  return std::make_unique<FastTranspose>();
}

}  // namespace

void AddFastTransposeKernel(rt::OpRegistry& r) { r.AddFastKernel("", "Transpose", {"fast.Transpose", MakeTranspose}); }

}  // namespace samq::backends::fast
