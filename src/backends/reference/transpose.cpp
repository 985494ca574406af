// Transpose, and the two ops that are a reshape + transpose + reshape: DepthToSpace and
// SpaceToDepth.
//
// Transpose is hot in the SAM encoders (window partition 1x4x14x4x14x256 perm 0,1,3,2,4,5,
// NCHW<->NHWC, attention head splits), so even the reference kernel merges dims, copies
// contiguous runs with memcpy and uses a cache-blocked 2-D transpose when the innermost dim moves.
#include <algorithm>
#include <numeric>

#include "backends/reference/shape_util.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// Tile edge of the blocked 2-D transpose: 32x32 elements of 4 bytes = 4 KiB, a few L1 ways.
constexpr int64_t kTile = 32;

// The simplified problem: output dims `dims` (dense), and for each the input element stride.
struct TransposePlan {
  Shape dims, in_strides;
};

TransposePlan SimplifyTranspose(const Shape& in_dims, const std::vector<int64_t>& perm) {
  const Shape in_strides = ContiguousStrides(in_dims);
  TransposePlan p;
  for (size_t j = 0; j < perm.size(); ++j) {
    const int64_t d = in_dims[perm[j]], s = in_strides[perm[j]];
    if (d == 1) continue;  // size-1 dims move nothing
    // Output dims j-1, j that are also neighbours, in order, in the input form one dim.
    if (!p.dims.empty() && p.in_strides.back() == s * d) {
      p.dims.back() *= d;
      p.in_strides.back() = s;
    } else {
      p.dims.push_back(d);
      p.in_strides.push_back(s);
    }
  }
  return p;
}

// Blocked transpose for element type E (a plain unsigned type of the element's size).
// Dim `a` is the one the input walks with stride 1; the output's innermost dim `b = last` is
// strided in the input. Every other dim is an outer loop.
template <typename E>
void TransposeBlocked(const E* in, const TransposePlan& p, int a, E* out) {
  const int r = static_cast<int>(p.dims.size());
  const int b = r - 1;
  const Shape out_strides = ContiguousStrides(p.dims);
  std::vector<int> outer;
  for (int k = 0; k < r; ++k)
    if (k != a && k != b) outer.push_back(k);
  const int64_t A = p.dims[a], B = p.dims[b];
  const int64_t in_b = p.in_strides[b], out_a = out_strides[a];
  const int64_t a_tiles = (A + kTile - 1) / kTile;
  int64_t n_outer = 1;
  for (int k : outer) n_outer *= p.dims[k];
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, kTile * B));
  parallel_for(n_outer * a_tiles, grain, [&](int64_t begin, int64_t end) {
    for (int64_t job = begin; job < end; ++job) {
      int64_t rem = job / a_tiles;
      const int64_t a0 = (job % a_tiles) * kTile, a1 = std::min(A, a0 + kTile);
      int64_t in_off = 0, out_off = 0;
      for (int i = static_cast<int>(outer.size()) - 1; i >= 0; --i) {
        const int k = outer[i];
        const int64_t idx = rem % p.dims[k];
        rem /= p.dims[k];
        in_off += idx * p.in_strides[k];
        out_off += idx * out_strides[k];
      }
      // 8x8 register tiles: 8 contiguous loads along a per row, 8 contiguous stores along b
      // per output row (about 2x faster than a strided element loop); ragged edges elementwise.
      constexpr int64_t R = 8;
      for (int64_t b0 = 0; b0 < B; b0 += R) {
        const int64_t nb = std::min(R, B - b0);
        for (int64_t x0 = a0; x0 < a1; x0 += R) {
          const int64_t na = std::min(R, a1 - x0);
          const E* src = in + in_off + x0 + b0 * in_b;
          E* dst = out + out_off + x0 * out_a + b0;
          if (na == R && nb == R) {
            E r[R][R];
            for (int64_t y = 0; y < R; ++y)
              for (int64_t x = 0; x < R; ++x) r[y][x] = src[y * in_b + x];
            for (int64_t x = 0; x < R; ++x)
              for (int64_t y = 0; y < R; ++y) dst[x * out_a + y] = r[y][x];
          } else {
            for (int64_t x = 0; x < na; ++x)
              for (int64_t y = 0; y < nb; ++y) dst[x * out_a + y] = src[y * in_b + x];
          }
        }
      }
    }
  });
}

template <typename E>
bool TransposeTyped(const void* in, const TransposePlan& p, void* out) {
  const int r = static_cast<int>(p.dims.size());
  int a = -1;
  for (int k = 0; k < r; ++k)
    if (p.in_strides[k] == 1) a = k;
  if (a < 0 || a == r - 1) return false;  // handled by the row copy
  TransposeBlocked<E>(static_cast<const E*>(in), p, a, static_cast<E*>(out));
  return true;
}

// ---- Transpose op --------------------------------------------------------------------------

Result<std::vector<int64_t>> Perm(const ir::Node& node, int64_t rank) {
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (!node.attr("perm")) {
    perm.resize(rank);
    std::iota(perm.rbegin(), perm.rend(), 0);  // default: reverse the dims
    return perm;
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    return NodeError(node, "perm has {} entries but the input has rank {}", perm.size(), rank);
  SAMQ_ASSIGN_OR_RETURN(perm, NormalizeAxes(node, perm, rank, "perm"));
  return perm;
}

Status InferTranspose(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
  if (!t.rank_known) {
    const size_t n = ctx.node().attr_ints("perm").size();
    if (ctx.node().attr("perm")) ctx.set_output(0, t.dtype, Shape(n, -1));
    else ctx.set_output_unknown_rank(0, t.dtype);
    return Status::Ok();
  }
  SAMQ_ASSIGN_OR_RETURN(auto perm, Perm(ctx.node(), t.rank()));
  Shape out(perm.size());
  for (size_t j = 0; j < perm.size(); ++j) out[j] = t.dims[perm[j]];
  ctx.set_output(0, t.dtype, out);
  return Status::Ok();
}

Status RunTranspose(rt::KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  SAMQ_ASSIGN_OR_RETURN(auto perm, Perm(ctx.node(), in.rank()));
  Tensor& out = ctx.output(0);
  TransposeBytes(in.raw(), in.shape(), perm, dtype_size(in.dtype()), out.raw());
  return Status::Ok();
}

// ---- DepthToSpace / SpaceToDepth -----------------------------------------------------------

struct SpaceDepthGeometry {
  Shape view;                  // the 6-D view of the input
  std::vector<int64_t> perm;   // how the view is permuted
  Shape out;                   // the 4-D output
};

// Both ops on NCHW input with block size b, per the ONNX definitions:
//   DepthToSpace DCR: [N, b, b, C/b², H, W] perm 0,3,4,1,5,2 -> [N, C/b², H·b, W·b]
//   DepthToSpace CRD: [N, C/b², b, b, H, W] perm 0,1,4,2,5,3 -> same
//   SpaceToDepth DCR: [N, C, H/b, b, W/b, b] perm 0,3,5,1,2,4 -> [N, C·b², H/b, W/b]
//   SpaceToDepth CRD: the same view, perm 0,1,3,5,2,4
Result<SpaceDepthGeometry> SpaceDepth(const ir::Node& node, const Shape& in, bool to_space) {
  const int64_t b = node.attr_int("blocksize", 0);
  if (b <= 0) return NodeError(node, "attribute 'blocksize' must be positive, got {}", b);
  if (in.size() != 4) return NodeError(node, "input must be 4-D (NCHW), got {}", shape_str(in));
  const int64_t N = in[0], C = in[1], H = in[2], W = in[3];
  SpaceDepthGeometry g;
  if (to_space) {
    if (C >= 0 && C % (b * b) != 0)
      return NodeError(node, "channels {} are not divisible by blocksize² = {}", C, b * b);
    const std::string mode = node.attr_string("mode", "DCR");
    const int64_t c = C < 0 ? -1 : C / (b * b);
    if (mode == "DCR") {
      g.view = {N, b, b, c, H, W};
      g.perm = {0, 3, 4, 1, 5, 2};
    } else if (mode == "CRD") {
      g.view = {N, c, b, b, H, W};
      g.perm = {0, 1, 4, 2, 5, 3};
    } else {
      return NodeError(node, "mode '{}' is not supported; supported: DCR, CRD", mode);
    }
    g.out = {N, c, H < 0 ? -1 : H * b, W < 0 ? -1 : W * b};
  } else {
    if ((H >= 0 && H % b != 0) || (W >= 0 && W % b != 0))
      return NodeError(node, "spatial dims {}x{} are not divisible by blocksize {}", H, W, b);
    // 'mode' (opset 28) picks the channel order, as the inverse of DepthToSpace's.
    const std::string mode = node.attr_string("mode", "DCR");
    g.view = {N, C, H < 0 ? -1 : H / b, b, W < 0 ? -1 : W / b, b};
    if (mode == "DCR") g.perm = {0, 3, 5, 1, 2, 4};
    else if (mode == "CRD") g.perm = {0, 1, 3, 5, 2, 4};
    else return NodeError(node, "mode '{}' is not supported; supported: DCR, CRD", mode);
    g.out = {N, C < 0 ? -1 : C * b * b, H < 0 ? -1 : H / b, W < 0 ? -1 : W / b};
  }
  return g;
}

void RegisterSpaceDepth(rt::OpRegistry& r, const char* op, bool to_space) {
  rt::OpSchema s;
  s.op_type = op;
  s.min_inputs = s.max_inputs = 1;
  s.infer = [to_space](rt::InferContext& ctx) -> Status {
    const auto& t = ctx.input_type(0);
    SAMQ_RETURN_IF_ERROR(CheckMovableDtype(ctx.node(), t.dtype));
    if (!t.rank_known) {
      ctx.set_output(0, t.dtype, Shape(4, -1));
      return Status::Ok();
    }
    SAMQ_ASSIGN_OR_RETURN(auto g, SpaceDepth(ctx.node(), t.dims, to_space));
    ctx.set_output(0, t.dtype, g.out);
    return Status::Ok();
  };
  s.kernels.push_back(rt::MakeStatelessKernel(std::string("ref.") + op, [to_space](rt::KernelContext& ctx) -> Status {
    const Tensor& in = ctx.input(0);
    SAMQ_ASSIGN_OR_RETURN(auto g, SpaceDepth(ctx.node(), in.shape(), to_space));
    TransposeBytes(in.raw(), g.view, g.perm, dtype_size(in.dtype()), ctx.output(0).raw());
    return Status::Ok();
  }));
  r.Register(std::move(s));
}

}  // namespace

void TransposeBytes(const void* in, const Shape& in_dims, const std::vector<int64_t>& perm,
                    size_t elem, void* out) {
  const int64_t numel = shape_numel(in_dims);
  if (numel <= 0) return;
  const TransposePlan p = SimplifyTranspose(in_dims, perm);
  if (p.dims.size() <= 1) {  // the permutation keeps memory order: a plain copy
    std::memcpy(out, in, static_cast<size_t>(numel) * elem);
    return;
  }
  bool done = false;
  switch (elem) {
    case 1: done = TransposeTyped<uint8_t>(in, p, out); break;
    case 2: done = TransposeTyped<uint16_t>(in, p, out); break;
    case 4: done = TransposeTyped<uint32_t>(in, p, out); break;
    case 8: done = TransposeTyped<uint64_t>(in, p, out); break;
    default: break;
  }
  if (!done) StridedCopyBytes(in, 0, p.in_strides, p.dims, elem, out);
}

void RegisterTransposeOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Transpose";
  s.min_inputs = s.max_inputs = 1;
  s.infer = InferTranspose;
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Transpose", RunTranspose));
  r.Register(std::move(s));
  RegisterSpaceDepth(r, "DepthToSpace", true);
  RegisterSpaceDepth(r, "SpaceToDepth", false);
}

}  // namespace samq::backends
