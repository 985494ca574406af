// fast.ProjectedAttention: the three associations of projected_attention.h on oneDNN's sgemm.
//
// Shapes here change with every prompt (the token count), and the products are small and of
// many shapes, so the kernel uses oneDNN's BLAS-style sgemm (JIT kernels, no primitive to create
// per shape) rather than matmul primitives. Per batch, in the decoder's case:
//   few queries: Q (Nq x C); Q~ = scale Q_h Wk_h^T stacked over heads (heads*Nq x Ck);
//                S = Q~ XK^T (heads*Nq x Nk); softmax; U = P XV (heads*Nq x Cv);
//                O_h = U_h Wv_h + bv_h; Y = O Wo + bo.
//   few keys:    K, V (Nk x C); A = [scale Wq_h K_h^T]_h (Cq x heads*Nk), c = [scale bq_h K_h^T]_h;
//                S = XQ A + c (Nq x heads*Nk); softmax per head group; B = [V_h Wo_h]_h
//                (heads*Nk x Co); Y = P B + bo.
//   plain:       Q, K, V; per head and block of query rows S = scale Q_h K_h^T; softmax;
//                O_h = P V_h; Y = O Wo + bo.
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/projected_attention.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

constexpr int kXq = 0, kXk = 1, kXv = 2, kWq = 3, kBq = 4, kWk = 5, kBk = 6, kWv = 7, kBv = 8, kWo = 9,
              kBo = 10;
// Query rows per block of the plain order: bounds its score buffer to kQueryBlock x Nk floats.
constexpr int64_t kQueryBlock = 256;

// Row-major C[m x n] = alpha op(A) op(B) + beta C (op: transpose when the flag is set).
Status Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
            const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return Status::Ok();
  if (k == 0) {  // sgemm may reject K = 0; the product is then beta C
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return Status::Ok();
  }
  const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (st != dnnl_success) return Status::InternalF("oneDNN sgemm failed (status {}) on {}x{}x{}", static_cast<int>(st), m, n, k);
  return Status::Ok();
}

// Every row of c [rows x cols, leading dim ldc] set to `bias` (then a beta = 1 GEMM adds to it).
void FillRows(float* c, int64_t rows, int64_t cols, int64_t ldc, const float* bias) {
  for (int64_t r = 0; r < rows; ++r) std::copy(bias, bias + cols, c + r * ldc);
}

// Y [n x out] = X [n x in] W [in x out] + b.
Status Project(const float* x, int64_t n, int64_t in, const float* w, const float* b, int64_t out, float* y) {
  FillRows(y, n, out, out, b);
  return Gemm(false, false, n, out, in, 1.0f, x, in, w, out, 1.0f, y, out);
}

// Softmax over `rows` rows of n floats, rows spread over the threads.
void Softmax(float* s, int64_t rows, int64_t n) {
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)),
               [&](int64_t lo, int64_t hi) { SoftmaxRows(s + lo * n, s + lo * n, hi - lo, n); });
}

struct Operands {
  const float *xq, *xk, *xv, *wq, *bq, *wk, *bk, *wv, *bv, *wo, *bo;
  float* y;
};

// Scratch buffers of one run, reused across runs on the same thread (the shapes vary per prompt;
// a fresh multi-megabyte allocation each time would fault its pages in again).
std::vector<float>& Scratch(int i, size_t n) {
  thread_local std::vector<float> bufs[4];
  if (bufs[i].size() < n) bufs[i].resize(n);
  return bufs[i];
}

Status FewQueries(const ProjectedAttentionDims& d, const Operands& p) {
  const int64_t hq = d.heads * d.nq;
  float* q = Scratch(0, d.nq * d.c).data();
  float* qt = Scratch(1, hq * std::max(d.ck, d.cv)).data();  // Q~, then U
  float* s = Scratch(2, hq * d.nk).data();
  float* o = Scratch(3, d.nq * d.c).data();
  SAMQ_RETURN_IF_ERROR(Project(p.xq, d.nq, d.cq, p.wq, p.bq, d.c, q));
  for (int64_t h = 0; h < d.heads; ++h)  // Q~_h = scale Q_h Wk_h^T: Wk_h is [Ck x d] inside Wk [Ck x C]
    SAMQ_RETURN_IF_ERROR(Gemm(false, true, d.nq, d.ck, d.d, d.scale, q + h * d.d, d.c, p.wk + h * d.d, d.c, 0.0f,
                              qt + h * d.nq * d.ck, d.ck));
  SAMQ_RETURN_IF_ERROR(Gemm(false, true, hq, d.nk, d.ck, 1.0f, qt, d.ck, p.xk, d.ck, 0.0f, s, d.nk));
  Softmax(s, hq, d.nk);
  float* u = qt;
  SAMQ_RETURN_IF_ERROR(Gemm(false, false, hq, d.cv, d.nk, 1.0f, s, d.nk, p.xv, d.cv, 0.0f, u, d.cv));
  for (int64_t h = 0; h < d.heads; ++h) {  // O_h = U_h Wv_h + bv_h, written into O's head columns
    FillRows(o + h * d.d, d.nq, d.d, d.c, p.bv + h * d.d);
    SAMQ_RETURN_IF_ERROR(Gemm(false, false, d.nq, d.d, d.cv, 1.0f, u + h * d.nq * d.cv, d.cv, p.wv + h * d.d, d.c,
                              1.0f, o + h * d.d, d.c));
  }
  return Project(o, d.nq, d.c, p.wo, p.bo, d.co, p.y);
}

Status FewKeys(const ProjectedAttentionDims& d, const Operands& p) {
  const int64_t hk = d.heads * d.nk;
  float* k = Scratch(0, 2 * d.nk * d.c).data();
  float* v = k + d.nk * d.c;
  float* a = Scratch(1, (d.cq + 1) * hk + hk * d.co).data();  // A, then c (one row), then B
  float* crow = a + d.cq * hk;
  float* bm = crow + hk;
  float* s = Scratch(2, d.nq * hk).data();
  SAMQ_RETURN_IF_ERROR(Project(p.xk, d.nk, d.ck, p.wk, p.bk, d.c, k));
  SAMQ_RETURN_IF_ERROR(Project(p.xv, d.nk, d.cv, p.wv, p.bv, d.c, v));
  for (int64_t h = 0; h < d.heads; ++h) {
    // A_h = scale Wq_h K_h^T [Cq x Nk] and c_h = scale bq_h K_h^T, into columns h*Nk.. of A and c.
    SAMQ_RETURN_IF_ERROR(Gemm(false, true, d.cq, d.nk, d.d, d.scale, p.wq + h * d.d, d.c, k + h * d.d, d.c, 0.0f,
                              a + h * d.nk, hk));
    SAMQ_RETURN_IF_ERROR(Gemm(false, true, 1, d.nk, d.d, d.scale, p.bq + h * d.d, d.d, k + h * d.d, d.c, 0.0f,
                              crow + h * d.nk, hk));
    // B_h = V_h Wo_h [Nk x Co]: Wo_h is rows h*d.. of Wo.
    SAMQ_RETURN_IF_ERROR(Gemm(false, false, d.nk, d.co, d.d, 1.0f, v + h * d.d, d.c, p.wo + h * d.d * d.co, d.co,
                              0.0f, bm + h * d.nk * d.co, d.co));
  }
  FillRows(s, d.nq, hk, hk, crow);
  SAMQ_RETURN_IF_ERROR(Gemm(false, false, d.nq, hk, d.cq, 1.0f, p.xq, d.cq, a, hk, 1.0f, s, hk));
  Softmax(s, d.nq * d.heads, d.nk);  // each (row, head) group of Nk is contiguous
  FillRows(p.y, d.nq, d.co, d.co, p.bo);
  return Gemm(false, false, d.nq, d.co, hk, 1.0f, s, hk, bm, d.co, 1.0f, p.y, d.co);
}

Status Plain(const ProjectedAttentionDims& d, const Operands& p) {
  float* q = Scratch(0, (d.nq + 2 * d.nk) * d.c).data();
  float* k = q + d.nq * d.c;
  float* v = k + d.nk * d.c;
  float* o = Scratch(1, d.nq * d.c).data();
  float* s = Scratch(2, std::min(d.nq, kQueryBlock) * d.nk).data();
  SAMQ_RETURN_IF_ERROR(Project(p.xq, d.nq, d.cq, p.wq, p.bq, d.c, q));
  SAMQ_RETURN_IF_ERROR(Project(p.xk, d.nk, d.ck, p.wk, p.bk, d.c, k));
  SAMQ_RETURN_IF_ERROR(Project(p.xv, d.nk, d.cv, p.wv, p.bv, d.c, v));
  for (int64_t h = 0; h < d.heads; ++h)
    for (int64_t i0 = 0; i0 < d.nq; i0 += kQueryBlock) {
      const int64_t rows = std::min(kQueryBlock, d.nq - i0);
      SAMQ_RETURN_IF_ERROR(Gemm(false, true, rows, d.nk, d.d, d.scale, q + i0 * d.c + h * d.d, d.c, k + h * d.d, d.c,
                                0.0f, s, d.nk));
      Softmax(s, rows, d.nk);
      SAMQ_RETURN_IF_ERROR(Gemm(false, false, rows, d.d, d.nk, 1.0f, s, d.nk, v + h * d.d, d.c, 0.0f,
                                o + i0 * d.c + h * d.d, d.c));
    }
  return Project(o, d.nq, d.c, p.wo, p.bo, d.co, p.y);
}

class ProjectedAttentionKernel final : public rt::Kernel {
 public:
  Status Run(rt::KernelContext& ctx) override {
    SAMQ_ASSIGN_OR_RETURN(ProjectedAttentionDims d, GetProjectedAttentionDims(ctx));
    float* y = ctx.output_for_overwrite(0).data<float>();
    if (d.batch == 0 || d.nq == 0 || d.co == 0) return Status::Ok();
    auto f = [&](int i) { return ctx.input(i).data<float>(); };
    const AttentionOrder order = ChooseAttentionOrder(d);
    for (int64_t b = 0; b < d.batch; ++b) {
      const int64_t qb = d.bq == 1 ? 0 : b, kb = d.bk == 1 ? 0 : b;
      const Operands p{f(kXq) + qb * d.nq * d.cq, f(kXk) + kb * d.nk * d.ck, f(kXv) + kb * d.nk * d.cv,
                       f(kWq), f(kBq), f(kWk), f(kBk), f(kWv), f(kBv), f(kWo), f(kBo),
                       y + b * d.nq * d.co};
      if (order == AttentionOrder::kFewQueries) SAMQ_RETURN_IF_ERROR(FewQueries(d, p));
      else if (order == AttentionOrder::kFewKeys) SAMQ_RETURN_IF_ERROR(FewKeys(d, p));
      else SAMQ_RETURN_IF_ERROR(Plain(d, p));
    }
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<rt::Kernel> MakeFastProjectedAttention(const rt::KernelBuildInfo& info, std::string* why) {
  for (size_t i = 0; i < info.input_types.size(); ++i) {
    const DType t = info.input_types[i].dtype;
    if (t != DType::kFloat32 && t != DType::kUndefined) {
      *why = fmt::format("input {} is {}, not float32", i, dtype_name(t));
      return nullptr;
    }
  }
  return std::make_unique<ProjectedAttentionKernel>();
}

}  // namespace samq::backends::fast
