// fast.Einsum: float32 two-operand Einsums that are a (batched) matrix product.
//
// Every label is classified by where it occurs: in both operands and the output -> batch; in the
// first operand and the output -> M (rows); in the second operand and the output -> N (columns);
// not in the output -> K (summed; a label in only one operand is summed with stride 0 in the
// other, which is the same sum). Each group may hold several labels in any layout, so instead of
// transposing operands the kernel walks them through offset tables: one offset per batch index,
// per row, per column and per summed index. That is what makes SAM's decomposed relative-position
// terms ('bhwc,hkc->bhwk', 'bhwc,wkc->bhwk': batch h or w in the middle, rows (b, w) or (b, h)
// strided) cheap: nothing of A or Y is copied, only B (one small [K, N] panel per batch index)
// is packed once per run so the micro-kernel reads it with unit stride, unless it already is
// such a panel.
//
// Declined (the reference runs them): one or 3+ operands, other dtypes, a label repeated within
// one operand (a diagonal).
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/gemm_tile.h"
#include "backends/reference/einsum_equation.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

constexpr int64_t kLanes = kTileLanes;

// Offsets of every index of a label group, last label fastest: sum_l index_l * stride_l.
std::vector<int64_t> OffsetTable(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  std::vector<int64_t> t{0};
  for (size_t l = 0; l < sizes.size(); ++l) {
    std::vector<int64_t> next;
    next.reserve(t.size() * static_cast<size_t>(sizes[l]));
    for (int64_t base : t)
      for (int64_t i = 0; i < sizes[l]; ++i) next.push_back(base + i * strides[l]);
    t = std::move(next);
  }
  return t;
}

bool IsUnitRange(const std::vector<int64_t>& t) {
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// The product as offset tables into A (operand 0), B (operand 1) and Y.
struct GemmPlan {
  std::vector<int64_t> batch_a, batch_b, batch_y;
  std::vector<int64_t> row_a, row_y;
  std::vector<int64_t> col_b, col_y;
  std::vector<int64_t> red_a, red_b;
  int64_t m() const { return static_cast<int64_t>(row_a.size()); }
  int64_t n() const { return static_cast<int64_t>(col_b.size()); }
  int64_t k() const { return static_cast<int64_t>(red_a.size()); }
  int64_t batches() const { return static_cast<int64_t>(batch_a.size()); }
};

// Element strides of each label in a dense row-major tensor; 0 where the axis is broadcast (size
// 1 under a wider label) or the label is absent.
std::vector<int64_t> LabelStrides(const std::vector<int>& axes, const Shape& dims,
                                  const std::vector<int64_t>& label_size) {
  std::vector<int64_t> st(kMaxEinsumLabels, 0);
  int64_t stride = 1;
  for (int64_t d = static_cast<int64_t>(axes.size()) - 1; d >= 0; --d) {
    if (dims[d] == label_size[axes[d]] && dims[d] != 1) st[axes[d]] = stride;
    stride *= dims[d];
  }
  return st;
}

GemmPlan MakePlan(const EinsumAxes& ax, const Tensor& a, const Tensor& b, const Shape& y_dims) {
  std::vector<int64_t> size(kMaxEinsumLabels, 0);
  std::array<std::vector<bool>, 3> in;  // label occurs in A, B, Y
  for (auto& v : in) v.assign(kMaxEinsumLabels, false);
  const std::array<const std::vector<int>*, 3> axes{&ax.inputs[0], &ax.inputs[1], &ax.output};
  const std::array<const Shape*, 3> dims{&a.shape(), &b.shape(), &y_dims};
  for (int t = 0; t < 3; ++t)
    for (size_t d = 0; d < axes[t]->size(); ++d) {
      const int id = (*axes[t])[d];
      in[t][id] = true;
      size[id] = std::max(size[id], (*dims[t])[d]);
    }
  // Operands of size 0 under a label make that label's size 0 (the max above sees the other
  // operand's 1 otherwise): take the minimum among non-broadcast sizes instead.
  for (int t = 0; t < 3; ++t)
    for (size_t d = 0; d < axes[t]->size(); ++d)
      if ((*dims[t])[d] == 0) size[(*axes[t])[d]] = 0;
  const auto sa = LabelStrides(ax.inputs[0], a.shape(), size);
  const auto sb = LabelStrides(ax.inputs[1], b.shape(), size);
  const auto sy = LabelStrides(ax.output, y_dims, size);

  // Groups in output order (batch, M, N), so Y's offsets grow as regularly as they can; K in
  // A's order, then B-only labels, so A's summed axis is unit-stride when it is its last.
  std::vector<int> batch, rows, cols, red;
  for (int id : ax.output) (in[0][id] && in[1][id] ? batch : in[0][id] ? rows : cols).push_back(id);
  for (int id : ax.inputs[0]) if (!in[2][id]) red.push_back(id);
  for (int id : ax.inputs[1]) if (!in[2][id] && !in[0][id]) red.push_back(id);

  auto table = [&](const std::vector<int>& ids, const std::vector<int64_t>& st) {
    std::vector<int64_t> sizes, strides;
    for (int id : ids) {
      sizes.push_back(size[id]);
      strides.push_back(st[id]);
    }
    return OffsetTable(sizes, strides);
  };
  GemmPlan p;
  p.batch_a = table(batch, sa);
  p.batch_b = table(batch, sb);
  p.batch_y = table(batch, sy);
  p.row_a = table(rows, sa);
  p.row_y = table(rows, sy);
  p.col_b = table(cols, sb);
  p.col_y = table(cols, sy);
  p.red_a = table(red, sa);
  p.red_b = table(red, sb);
  return p;
}

// Runs one batch index's rows [r0, r1) against the B panel bp ([K][ldb]: packed with zero-padded
// columns, or B itself when its layout already is one; see Run): MR-row tiles of 64 columns, then
// the narrower column tail.
void RunRows(const GemmPlan& p, const float* a, const float* bp, int64_t ldb, float* y, int64_t r0,
             int64_t r1, bool a_unit_k, bool y_unit_n, std::vector<float>& scratch) {
  const int64_t n = p.n(), k = p.k();
  constexpr int kMaxRows = 8;
  std::array<float, kMaxRows * 64> tile;
  std::array<const float*, kMaxRows> rows;
  if (!a_unit_k) scratch.resize(static_cast<size_t>(kMaxRows * std::max<int64_t>(k, 1)));
  for (int64_t j0 = 0; j0 < n; j0 += 64) {
    const int nv = static_cast<int>(std::min<int64_t>(4, (n - j0 + kLanes - 1) / kLanes));
    const int mr = nv >= 3 ? 4 : 8;
    const int64_t width = std::min<int64_t>(64, n - j0);
    for (int64_t i0 = r0; i0 < r1; i0 += mr) {
      const int64_t valid = std::min<int64_t>(mr, r1 - i0);
      for (int r = 0; r < mr; ++r) {
        const int64_t row = i0 + std::min<int64_t>(r, valid - 1);  // tail rows repeat the last
        if (a_unit_k) {
          rows[r] = a + p.row_a[row];
        } else {
          float* dst = scratch.data() + r * k;
          for (int64_t kk = 0; kk < k; ++kk) dst[kk] = a[p.row_a[row] + p.red_a[kk]];
          rows[r] = dst;
        }
      }
      const float* panel = bp + j0;
      switch (nv) {
        case 4: MicroTile<4, 4>(rows.data(), panel, ldb, k, tile.data(), kLanes * nv, false); break;
        case 3: MicroTile<4, 3>(rows.data(), panel, ldb, k, tile.data(), kLanes * nv, false); break;
        case 2: MicroTile<8, 2>(rows.data(), panel, ldb, k, tile.data(), kLanes * nv, false); break;
        default: MicroTile<8, 1>(rows.data(), panel, ldb, k, tile.data(), kLanes * nv, false); break;
      }
      for (int64_t r = 0; r < valid; ++r) {
        const float* src = tile.data() + r * kLanes * nv;
        float* yr = y + p.row_y[i0 + r];
        if (y_unit_n) {
          std::memcpy(yr + j0, src, static_cast<size_t>(width) * sizeof(float));
        } else {
          for (int64_t j = 0; j < width; ++j) yr[p.col_y[j0 + j]] = src[j];
        }
      }
    }
  }
}

class EinsumKernel final : public rt::Kernel {
 public:
  explicit EinsumKernel(EinsumEquation eq) : eq_(std::move(eq)) {}

  Status Run(rt::KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& out = ctx.output(0);
    if (out.numel() == 0) return Status::Ok();
    SAMQ_ASSIGN_OR_RETURN(EinsumAxes ax, ExpandEinsum(eq_, {a.rank(), b.rank()}));
    const GemmPlan p = MakePlan(ax, a, b, out.shape());
    const int64_t n = p.n(), k = p.k(), m = p.m(), nb = p.batches();
    const float* pb = b.data<float>();
    // B read in place when it already is a [K][row stride] panel per batch index, unit-stride
    // along N and N a multiple of 16 (the tile reads whole vectors): 'bij,bjk->bik', say. Else
    // packed per batch index as [K][ldb] (one panel when B does not vary with the batch).
    const int64_t k_step = k > 1 ? p.red_b[1] : n;
    bool in_place = n % kLanes == 0 && IsUnitRange(p.col_b) && k_step >= n;
    for (int64_t kk = 0; in_place && kk < k; ++kk) in_place = p.red_b[kk] == kk * k_step;
    const int64_t ldb = in_place ? k_step : (n + kLanes - 1) / kLanes * kLanes;
    const bool shared_b = std::all_of(p.batch_b.begin(), p.batch_b.end(), [&](int64_t o) { return o == p.batch_b[0]; });
    const int64_t panels = in_place ? 0 : shared_b ? 1 : nb;
    std::vector<float> packed(static_cast<size_t>(panels * std::max<int64_t>(k, 1) * ldb), 0.0f);
    parallel_for(panels, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, k * ldb)), [&](int64_t p0, int64_t p1) {
      for (int64_t q = p0; q < p1; ++q) {
        float* dst = packed.data() + q * k * ldb;
        const float* src = pb + p.batch_b[q];
        for (int64_t kk = 0; kk < k; ++kk)
          for (int64_t j = 0; j < n; ++j) dst[kk * ldb + j] = src[p.red_b[kk] + p.col_b[j]];
      }
    });
    auto panel_of = [&](int64_t bi) {
      return in_place ? pb + p.batch_b[bi] : packed.data() + (shared_b ? 0 : bi) * k * ldb;
    };

    const bool a_unit_k = IsUnitRange(p.red_a);
    const bool y_unit_n = IsUnitRange(p.col_y);
    // Tasks: (batch index, block of 64 rows, a multiple of every tile height).
    constexpr int64_t block = 64;
    const int64_t blocks = (m + block - 1) / block;
    const float* pa = a.data<float>();
    float* py = out.data<float>();
    parallel_for(nb * blocks, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> scratch;
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t bi = t / blocks, r0 = (t % blocks) * block;
        RunRows(p, pa + p.batch_a[bi], panel_of(bi), ldb,
                py + p.batch_y[bi], r0, std::min(m, r0 + block), a_unit_k, y_unit_n, scratch);
      }
    });
    return Status::Ok();
  }

 private:
  EinsumEquation eq_;
};

bool HasRepeatedLabel(const EinsumTerm& t) {
  std::vector<int> ids = t.head;
  ids.insert(ids.end(), t.tail.begin(), t.tail.end());
  std::sort(ids.begin(), ids.end());
  return std::adjacent_find(ids.begin(), ids.end()) != ids.end();
}

std::unique_ptr<rt::Kernel> MakeEinsum(const rt::KernelBuildInfo& info, std::string* why) {
  if (info.input_types.size() != 2) {
    *why = "only two-operand Einsums";
    return nullptr;
  }
  for (const auto& t : info.input_types)
    if (t.dtype != DType::kFloat32) {
      *why = "only float32";
      return nullptr;
    }
  auto eq = ParseEinsum(info.node.attr_string("equation", ""), 2);
  if (!eq.ok()) {
    *why = "equation: " + eq.status().message();
    return nullptr;
  }
  for (const auto& term : eq->inputs)
    if (HasRepeatedLabel(term)) {
      *why = "a label repeated within one operand (diagonal)";
      return nullptr;
    }
  return std::make_unique<EinsumKernel>(std::move(*eq));
}

}  // namespace

void AddFastEinsumKernels(rt::OpRegistry& r) { r.AddFastKernel("", "Einsum", {"fast.Einsum", MakeEinsum}); }

}  // namespace samq::backends::fast
