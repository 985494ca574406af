#include "backends/reference/broadcast_iter.h"

#include "backends/reference/infer_util.h"

namespace samq::backends {

BroadcastPlan MakeBroadcastPlan(const Shape& out, const std::vector<const Shape*>& ins) {
  BroadcastPlan p;
  p.num_inputs = static_cast<int>(ins.size());
  p.numel = shape_numel(out);
  const size_t r = out.size();

  // Strides of each input aligned to the output's dims (right-aligned, 0 where broadcast).
  std::array<std::vector<int64_t>, kMaxBroadcastInputs> full;
  for (int k = 0; k < p.num_inputs; ++k) {
    const Shape& s = *ins[k];
    full[k].assign(r, 0);
    int64_t stride = 1;
    for (size_t j = 0; j < s.size(); ++j) {
      size_t in_dim = s.size() - 1 - j, out_dim = r - 1 - j;
      full[k][out_dim] = s[in_dim] == 1 ? 0 : stride;
      stride *= s[in_dim];
    }
  }

  // Keep output dims > 1, merging a dim into the previous kept one when every input's stride
  // says the two dims are walked as one (outer stride == inner stride * inner size).
  for (size_t i = 0; i < r; ++i) {
    if (out[i] == 1) continue;
    bool merge = !p.dims.empty();
    for (int k = 0; merge && k < p.num_inputs; ++k)
      merge = p.strides[k].back() == full[k][i] * out[i];
    if (merge) {
      p.dims.back() *= out[i];
      for (int k = 0; k < p.num_inputs; ++k) p.strides[k].back() = full[k][i];
    } else {
      p.dims.push_back(out[i]);
      for (int k = 0; k < p.num_inputs; ++k) p.strides[k].push_back(full[k][i]);
    }
  }
  if (p.dims.empty()) {  // scalar or all-ones output: one element
    p.dims.push_back(1);
    for (int k = 0; k < p.num_inputs; ++k) p.strides[k].push_back(0);
  }
  return p;
}

Status InferBroadcastOutput(rt::InferContext& ctx, int first, int count, DType out) {
  Shape shape;
  for (int i = first; i < first + count && i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const auto& t = ctx.input_type(i);
    if (!t.rank_known) {
      ctx.set_output_unknown_rank(0, out);
      return Status::Ok();
    }
    std::string why;
    auto b = BroadcastShapes(shape, t.dims, &why);
    if (!b) return ctx.Error("input {}: {}", i, why);
    shape = *b;
  }
  ctx.set_output(0, out, shape);
  return Status::Ok();
}

Status CheckSameInputDtypes(rt::InferContext& ctx, int first, int count) {
  DType seen = DType::kUndefined;
  int seen_at = -1;
  for (int i = first; i < first + count && i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    DType t = ctx.input_type(i).dtype;
    if (t == DType::kUndefined) continue;
    if (seen != DType::kUndefined && t != seen)
      return ctx.Error("input {} is {} but input {} is {}; the op needs one type", seen_at,
                       dtype_name(seen), i, dtype_name(t));
    seen = t;
    seen_at = i;
  }
  return Status::Ok();
}

}  // namespace samq::backends
