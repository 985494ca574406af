// Einsum: a generic contraction. Every output element is the sum, over all values of the labels
// that are not in the output, of the product of the operands at the matching positions. A label
// repeated within an operand gets the sum of that operand's strides along its axes, which walks
// the diagonal; an axis of size 1 whose label is wider gets stride 0 (numpy broadcasting).
#include <algorithm>
#include <array>
#include <vector>

#include "backends/reference/dtype_visit.h"
#include "backends/reference/einsum_equation.h"
#include "backends/reference/linalg_nn_families.h"
#include "core/parallel.h"

namespace samq::backends {
namespace {

// Sizes per label id (-1 unknown, -2 unused) from the operands' dims; mismatches are errors.
Result<std::vector<int64_t>> LabelSizes(const EinsumAxes& ax, const std::vector<Shape>& dims) {
  std::vector<int64_t> size(kMaxEinsumLabels, -2);
  for (size_t i = 0; i < ax.inputs.size(); ++i) {
    for (size_t k = 0; k < ax.inputs[i].size(); ++k) {
      const int id = ax.inputs[i][k];
      const int64_t d = dims[i][k];
      int64_t& s = size[id];
      if (s == -2 || s == d || d == 1) {
        if (s == -2) s = d;
      } else if (s == 1) {
        s = d;
      } else if (s < 0 || d < 0) {
        s = std::max(s, d) > 1 ? std::max(s, d) : -1;
      } else {
        return Status::UserF("input {} axis {} has size {} but the same label elsewhere has {}", i,
                             k, d, s);
      }
    }
  }
  return size;
}

Status InferEinsum(rt::InferContext& ctx) {
  DType dt = DType::kUndefined;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const DType d = ctx.input_type(i).dtype;
    if (d == DType::kUndefined) continue;
    if (dt != DType::kUndefined && d != dt)
      return ctx.Error("inputs have different dtypes {} and {}", dtype_name(dt), dtype_name(d));
    dt = d;
  }
  const std::string equation = ctx.node().attr_string("equation", "");
  auto eq = ParseEinsum(equation, ctx.num_inputs());
  if (!eq.ok()) return ctx.Error("{}", eq.status().message());
  std::vector<int64_t> ranks;
  std::vector<Shape> dims;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const auto& t = ctx.input_type(i);
    const auto& term = eq->inputs[i];
    if (!t.rank_known) {
      if (term.ellipsis) {  // how many dims "..." covers is unknown: so is the output rank
        ctx.set_output_unknown_rank(0, dt);
        return Status::Ok();
      }
      ranks.push_back(static_cast<int64_t>(term.head.size()));
      dims.push_back(Shape(term.head.size(), -1));
      continue;
    }
    ranks.push_back(t.rank());
    dims.push_back(t.dims);
  }
  auto ax = ExpandEinsum(*eq, ranks);
  if (!ax.ok()) return ctx.Error("equation '{}': {}", equation, ax.status().message());
  auto sizes = LabelSizes(*ax, dims);
  if (!sizes.ok()) return ctx.Error("equation '{}': {}", equation, sizes.status().message());
  Shape out;
  for (int id : ax->output) out.push_back((*sizes)[id]);
  ctx.set_output(0, dt, out);
  return Status::Ok();
}

// Label ids and per-operand strides of a group of labels walked together.
struct LabelWalk {
  std::vector<int64_t> size;                  // per label in the group
  std::vector<std::vector<int64_t>> strides;  // [label][operand]
};

LabelWalk MakeWalk(const std::vector<int>& labels, const std::vector<int64_t>& label_size,
                   const EinsumAxes& ax, const std::vector<const Tensor*>& ins) {
  LabelWalk w;
  for (int id : labels) {
    w.size.push_back(label_size[id]);
    std::vector<int64_t> st(ins.size(), 0);
    for (size_t i = 0; i < ins.size(); ++i) {
      int64_t stride = 1;
      for (int64_t k = ins[i]->rank() - 1; k >= 0; --k) {
        // An axis of size 1 under a wider label is broadcast: it does not move.
        if (ax.inputs[i][k] == id && ins[i]->dim(k) == label_size[id]) st[i] += stride;
        stride *= ins[i]->dim(k);
      }
    }
    w.strides.push_back(std::move(st));
  }
  return w;
}

template <typename T>
void RunEinsumTyped(const EinsumAxes& ax, const std::vector<int64_t>& label_size,
                    const std::vector<const Tensor*>& ins, Tensor& y) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  std::vector<int> summed;
  for (int id = 0; id < kMaxEinsumLabels; ++id)
    if (label_size[id] != -2 && std::find(ax.output.begin(), ax.output.end(), id) == ax.output.end())
      summed.push_back(id);
  const LabelWalk out_walk = MakeWalk(ax.output, label_size, ax, ins);
  const LabelWalk sum_walk = MakeWalk(summed, label_size, ax, ins);
  const size_t nin = ins.size();
  const int ns = static_cast<int>(summed.size());
  int64_t sum_count = 1;
  for (int64_t s : sum_walk.size) sum_count *= s;
  std::vector<const T*> data;
  for (const Tensor* t : ins) data.push_back(t->data<T>());
  T* py = y.data<T>();

  parallel_for(y.numel(), std::max<int64_t>(1, 4096 / std::max<int64_t>(1, sum_count)),
               [&](int64_t begin, int64_t end) {
    std::vector<int64_t> base(nin), off(nin), idx(ns);
    for (int64_t o = begin; o < end; ++o) {
      // Operand offsets of this output element.
      std::fill(base.begin(), base.end(), 0);
      int64_t rem = o;
      for (int64_t k = static_cast<int64_t>(out_walk.size.size()) - 1; k >= 0; --k) {
        const int64_t i = rem % out_walk.size[k];
        rem /= out_walk.size[k];
        for (size_t t = 0; t < nin; ++t) base[t] += i * out_walk.strides[k][t];
      }
      // Odometer over the summed labels, last label fastest.
      Acc acc = 0;
      off = base;
      std::fill(idx.begin(), idx.end(), 0);
      for (int64_t step = 0; step < sum_count; ++step) {
        Acc prod = static_cast<Acc>(data[0][off[0]]);
        for (size_t t = 1; t < nin; ++t) prod = WrapMul<Acc>(prod, static_cast<Acc>(data[t][off[t]]));
        acc = WrapAdd<Acc>(acc, prod);
        for (int k = ns - 1; k >= 0; --k) {
          if (++idx[k] < sum_walk.size[k]) {
            for (size_t t = 0; t < nin; ++t) off[t] += sum_walk.strides[k][t];
            break;
          }
          idx[k] = 0;
          for (size_t t = 0; t < nin; ++t) off[t] -= (sum_walk.size[k] - 1) * sum_walk.strides[k][t];
        }
      }
      py[o] = static_cast<T>(acc);
    }
  });
}

Status RunEinsum(rt::KernelContext& ctx) {
  const std::string equation = ctx.node().attr_string("equation", "");
  SAMQ_ASSIGN_OR_RETURN(EinsumEquation eq, ParseEinsum(equation, ctx.num_inputs()));
  std::vector<int64_t> ranks;
  std::vector<Shape> dims;
  std::vector<const Tensor*> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ranks.push_back(ctx.input(i).rank());
    dims.push_back(ctx.input(i).shape());
    ins.push_back(&ctx.input(i));
  }
  SAMQ_ASSIGN_OR_RETURN(EinsumAxes ax, ExpandEinsum(eq, ranks));
  SAMQ_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, LabelSizes(ax, dims));

  const DType dt = ctx.input(0).dtype();
  if (IsNarrowFloat(dt)) {
    std::vector<Tensor> wide;
    for (const Tensor* t : ins) wide.push_back(WidenToFloat32(*t));
    std::vector<const Tensor*> wide_ptrs;
    for (const Tensor& t : wide) wide_ptrs.push_back(&t);
    Tensor y32 = Tensor::Zeros(DType::kFloat32, ctx.output_type(0).dims);
    RunEinsumTyped<float>(ax, sizes, wide_ptrs, y32);
    ctx.set_output(0, NarrowFromFloat32(y32, dt));
    return Status::Ok();
  }
  const bool handled = VisitNativeNumeric(
      dt, [&](auto tag) { RunEinsumTyped<typename decltype(tag)::type>(ax, sizes, ins, ctx.output(0)); });
  if (!handled) return ctx.Error("dtype {} is not supported", dtype_name(dt));
  return Status::Ok();
}

}  // namespace

void RegisterEinsumOps(rt::OpRegistry& r) {
  rt::OpSchema s;
  s.op_type = "Einsum";
  s.min_inputs = 1;
  s.max_inputs = 64;
  s.infer = InferEinsum;
  s.kernels.push_back(rt::MakeStatelessKernel("ref.Einsum", RunEinsum));
  r.Register(std::move(s));
}

}  // namespace samq::backends
