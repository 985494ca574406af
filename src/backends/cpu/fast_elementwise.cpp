// fast.Add / fast.Sub / fast.Mul / fast.Div (float32, NumPy broadcasting) and fast.Erf /
// fast.Tanh / fast.Relu / fast.Sigmoid (float32).
//
// Binary ops: the broadcast is reduced to rows. Output dims are merged where both inputs stay
// contiguous (or stay broadcast) across the merge, which leaves an innermost run where each
// input has stride 1 (a tensor) or 0 (a broadcast scalar); rows are spread over the threads and
// each row is one vectorized loop. SAM's patterns ([N,C] + [C], [1,C,H,W] * [1,C,1,1], same
// shape) all become long rows.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/fast_math.h"
#include "core/parallel.h"

namespace samq::backends::fast {
namespace {

enum class BinOp { kAdd, kSub, kMul, kDiv };
enum class UnOp { kErf, kTanh, kRelu, kSigmoid };

template <typename F>
inline void RowLoop(const float* a, bool a_vec, const float* b, bool b_vec, float* o, int64_t n, F f) {
  if (a_vec && b_vec) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (a_vec) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (b_vec) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    const float v = f(a[0], b[0]);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  }
}

SAMQ_CLONES void BinaryRow(BinOp op, const float* a, bool a_vec, const float* b, bool b_vec,
                           float* o, int64_t n) {
  switch (op) {
    case BinOp::kAdd: RowLoop(a, a_vec, b, b_vec, o, n, [](float x, float y) { return x + y; }); break;
    case BinOp::kSub: RowLoop(a, a_vec, b, b_vec, o, n, [](float x, float y) { return x - y; }); break;
    case BinOp::kMul: RowLoop(a, a_vec, b, b_vec, o, n, [](float x, float y) { return x * y; }); break;
    case BinOp::kDiv: RowLoop(a, a_vec, b, b_vec, o, n, [](float x, float y) { return x / y; }); break;
  }
}

SAMQ_CLONES void UnaryRow(UnOp op, const float* x, float* y, int64_t n) {
  switch (op) {
    case UnOp::kErf:
      for (int64_t i = 0; i < n; ++i) y[i] = fastmath::Erf(x[i]);
      break;
    case UnOp::kTanh:
      for (int64_t i = 0; i < n; ++i) y[i] = fastmath::Tanh(x[i]);
      break;
    case UnOp::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];  // NaN stays NaN, like the reference
      break;
    case UnOp::kSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = fastmath::Sigmoid(x[i]);
      break;
  }
}

// Per output dim: the element stride of each input (0 where it is broadcast), after merging.
struct RowPlan {
  std::vector<int64_t> dims, sa, sb;  // outer dims then the innermost (row) dim
};

RowPlan MakeRowPlan(const Shape& out, const Shape& a, const Shape& b) {
  const size_t r = out.size();
  auto strides = [&](const Shape& s) {
    std::vector<int64_t> st(r, 0);
    int64_t acc = 1;
    for (size_t k = 0; k < s.size(); ++k) {
      const size_t i = s.size() - 1 - k, j = r - 1 - k;
      st[j] = s[i] == 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  std::vector<int64_t> sa = strides(a), sb = strides(b);
  RowPlan p;
  for (size_t j = 0; j < r; ++j) {
    if (out[j] == 1) continue;  // size-1 dims contribute nothing
    if (!p.dims.empty()) {
      const int64_t d = out[j];
      // Merge into the previous dim when every input's stride there equals its stride here
      // times this dim (contiguous across the boundary), 0 and 0 included.
      if (p.sa.back() == sa[j] * d && p.sb.back() == sb[j] * d) {
        p.dims.back() *= d;
        p.sa.back() = sa[j];
        p.sb.back() = sb[j];
        continue;
      }
    }
    p.dims.push_back(out[j]);
    p.sa.push_back(sa[j]);
    p.sb.push_back(sb[j]);
  }
  if (p.dims.empty()) {
    p.dims = {1};
    p.sa = {0};
    p.sb = {0};
  }
  return p;
}

constexpr int64_t kGrainElems = 16384;  // below this, one thread: the fork costs more

class BinaryKernel : public rt::Kernel {
 public:
  explicit BinaryKernel(BinOp op) : op_(op) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& out = ctx.output_for_overwrite(0);
    const RowPlan p = MakeRowPlan(out.shape(), a.shape(), b.shape());
    const int64_t n = p.dims.back();
    const bool a_vec = p.sa.back() != 0, b_vec = p.sb.back() != 0;
    const int64_t outer_rank = static_cast<int64_t>(p.dims.size()) - 1;
    int64_t rows = 1;
    for (int64_t k = 0; k < outer_rank; ++k) rows *= p.dims[k];
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    float* po = out.data<float>();
    if (rows == 1) {  // one long row: split it across threads
      parallel_for(n, kGrainElems, [&](int64_t lo, int64_t hi) {
        BinaryRow(op_, pa + (a_vec ? lo : 0), a_vec, pb + (b_vec ? lo : 0), b_vec, po + lo, hi - lo);
      });
      return Status::Ok();
    }
    parallel_for(rows, std::max<int64_t>(1, kGrainElems / std::max<int64_t>(n, 1)),
                 [&](int64_t lo, int64_t hi) {
                   for (int64_t row = lo; row < hi; ++row) {
                     int64_t oa = 0, ob = 0, rem = row;
                     for (int64_t k = outer_rank - 1; k >= 0; --k) {
                       const int64_t idx = rem % p.dims[k];
                       rem /= p.dims[k];
                       oa += idx * p.sa[k];
                       ob += idx * p.sb[k];
                     }
                     BinaryRow(op_, pa + oa, a_vec, pb + ob, b_vec, po + row * n, n);
                   }
                 });
    return Status::Ok();
  }

 private:
  BinOp op_;
};

class UnaryKernel : public rt::Kernel {
 public:
  explicit UnaryKernel(UnOp op) : op_(op) {}
  Status Run(rt::KernelContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output_for_overwrite(0);
    const float* px = x.data<float>();
    float* py = y.data<float>();
    parallel_for(x.numel(), kGrainElems,
                 [&](int64_t lo, int64_t hi) { UnaryRow(op_, px + lo, py + lo, hi - lo); });
    return Status::Ok();
  }

 private:
  UnOp op_;
};

bool AllFloat32(const rt::KernelBuildInfo& info, int n, std::string* why) {
  for (int i = 0; i < n; ++i) {
    if (i >= static_cast<int>(info.input_types.size())) return false;
    const DType t = info.input_types[i].dtype;
    if (t != DType::kFloat32) {
      *why = t == DType::kUndefined ? "input dtype unknown at compile time"
                                    : "input dtype " + std::string(dtype_name(t)) + ", only float32";
      return false;
    }
  }
  return true;
}

void AddBinary(rt::OpRegistry& r, const char* op_type, BinOp op) {
  r.AddFastKernel("", op_type,
                  {std::string("fast.") + op_type,
                   [op](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
                     if (!AllFloat32(info, 2, why)) return nullptr;
                     return std::make_unique<BinaryKernel>(op);
                   }});
}

void AddUnary(rt::OpRegistry& r, const char* op_type, UnOp op) {
  r.AddFastKernel("", op_type,
                  {std::string("fast.") + op_type,
                   [op](const rt::KernelBuildInfo& info, std::string* why) -> std::unique_ptr<rt::Kernel> {
                     if (!AllFloat32(info, 1, why)) return nullptr;
                     return std::make_unique<UnaryKernel>(op);
                   }});
}

}  // namespace

void AddFastElementwiseKernels(rt::OpRegistry& r) {
  AddBinary(r, "Add", BinOp::kAdd);
  AddBinary(r, "Sub", BinOp::kSub);
  AddBinary(r, "Mul", BinOp::kMul);
  AddBinary(r, "Div", BinOp::kDiv);
  AddUnary(r, "Erf", UnOp::kErf);
  AddUnary(r, "Tanh", UnOp::kTanh);
  AddUnary(r, "Relu", UnOp::kRelu);
  AddUnary(r, "Sigmoid", UnOp::kSigmoid);
}

}  // namespace samq::backends::fast
