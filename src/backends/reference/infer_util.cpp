#include "backends/reference/infer_util.h"

#include <algorithm>

namespace samq::backends {

std::optional<Shape> BroadcastShapes(const Shape& a, const Shape& b, std::string* why) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db) out[i] = da;
    else if (da == 1) out[i] = db;
    else if (db == 1) out[i] = da;
    else if (da < 0 || db < 0) out[i] = std::max(da, db) > 1 ? std::max(da, db) : -1;
    else {
      if (why) *why = "shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast";
      return std::nullopt;
    }
  }
  return out;
}

std::optional<int64_t> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

Status InferSameAsInput(rt::InferContext& ctx) {
  const auto& t = ctx.input_type(0);
  if (t.rank_known) ctx.set_output(0, t.dtype, t.dims);
  else ctx.set_output_unknown_rank(0, t.dtype);
  return Status::Ok();
}

}  // namespace samq::backends
