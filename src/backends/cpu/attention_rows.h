// Row steps both fast attention kernels share (fast_sam_attention.cpp, fast_int8_attention.cpp):
// the score row's bias, max-subtracted exp and sum, the decomposed rel-pos terms computed from a
// query row, and the padded sizes the tiles work on.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "backends/cpu/gemm_tile.h"
#include "backends/cpu/sam_attention.h"

namespace samq::backends::fast {

inline int64_t RoundUp16(int64_t n) { return (n + kTileLanes - 1) / kTileLanes * kTileLanes; }

// Row stride of the K^T panels and score rows: the padded key count, plus one vector when that
// is a multiple of 1 KB. At 4096 keys each row is 16 KB apart, so the 64 depth rows of K^T a
// tile reads (and the score rows it writes) all fall into the same few L1 sets and evict each
// other between the row tiles that should share them.
inline int64_t KeyStride(int64_t nkp) { return nkp % 256 == 0 ? nkp + kTileLanes : nkp; }

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

// The integer kernel's score row before it is float: s[j] = (acc[j] - col[j] - row_term) * mult.
struct IntegerScores {
  const int32_t* col;
  int32_t row_term;
  float mult;
};

// Scales one score row, adds the decomposed bias (rh: KH values, rw: KW values; null = none)
// and the full bias row (null = none) in one pass, replaces it by exp(s - max) and returns
// 1 / sum (max and sum kept per lane, then combined). The row holds nkp = nk rounded up to 16
// floats: the padding keys are set to -inf, so whole vectors cover the row (their exp, about
// 1e-38 after the clamp, cannot change a sum that is at least 1). With `ints` the row holds the
// integer kernel's int32 sums, converted in the same pass. SAM's two layouts (14 x 14 windows,
// the 64 x 64 grid) and a full bias row alone (TinyViT's 7 x 7 windows) take two passes over the
// row (scores and max, exp and sum); the others four.
float BiasExpRow(float* s, int64_t nk, int64_t nkp, float scale, const float* rh, int64_t kh, const float* rw,
                 int64_t kw, const float* bias, const SmallRelIndex* small, const IntegerScores* ints = nullptr);

// out[0 .. np) = sum_c q[c] * panel[c * np + 0 .. np) (np a multiple of 16): one query row's
// decomposed terms from a transposed table.
void RowTimesPanel(const float* q, int64_t d, const float* panel, int64_t np, float* out);

// Tables [G, KT, D] as G panels [D][KTp] (columns past KT zero), for RowTimesPanel.
std::vector<float> TransposedTables(const float* t, int64_t g, int64_t kt, int64_t d, int64_t ktp);

// The decomposed rel-pos bias of one run, as both kernels add it: from the precomputed terms
// (inputs 3, 4) or from the tables (inputs 6, 7, transposed here once per run) and each query's
// own float row, with the lane index when the tables are small.
class RelPosTerms {
 public:
  RelPosTerms(const AttentionDims& a, const AttentionInputs& in, int64_t nkp);
  bool from_tables() const { return a_.rel_tables; }
  // Scratch floats per query row (tables form).
  int64_t h_stride() const { return khp_; }
  int64_t w_stride() const { return kwp_; }
  // Tables form: the terms of query rows i0 .. i0 + n_rows (q_rows: their d floats each) into
  // rh[r * khp ..], rw[r * kwp ..]. `gemm` is the caller's scratch.
  void ComputeBlock(const float* const* q_rows, int64_t n_rows, int64_t i0, float* rh, float* rw,
                    std::vector<float>* gemm) const;
  // The terms of query row qi (= b * Nq + i) for BiasExpRow: from the scratch rows of the tables
  // form or the precomputed inputs; null when the attention has none.
  const float* h(int64_t qi, const float* scratch_h) const {
    return a_.rel_tables ? scratch_h : in_.rel_h ? in_.rel_h + qi * a_.kh : nullptr;
  }
  const float* w(int64_t qi, const float* scratch_w) const {
    return a_.rel_tables ? scratch_w : in_.rel_w ? in_.rel_w + qi * a_.kw : nullptr;
  }
  const SmallRelIndex* small() const { return small_ ? &*small_ : nullptr; }

 private:
  // A table of SAM's get_rel_pos, table[g][k] = base[g - k + KT - 1] (ViT-B/L/H: every one), as
  // base^T [D][ntp]: each query row's products with all of base are one tile product for the
  // whole block (base is shared), and its KT terms a reversed slice of them. Per row otherwise.
  struct Toeplitz {
    std::vector<float> panel;
    int64_t nt = 0, ntp = 0;
  };
  static std::optional<Toeplitz> FindToeplitz(const float* t, int64_t g, int64_t kt, int64_t d);
  void ComputeRow(const float* q, int64_t i, float* rh, float* rw) const;

  const AttentionDims& a_;
  const AttentionInputs& in_;
  int64_t khp_ = 0, kwp_ = 0;
  std::vector<float> th_, tw_;
  std::optional<Toeplitz> toeplitz_h_, toeplitz_w_;
  std::optional<SmallRelIndex> small_;
};

}  // namespace samq::backends::fast
