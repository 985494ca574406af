#include "passes/strided_view.h"

#include <algorithm>
#include <numeric>

namespace samq::passes {

std::vector<ViewFactor> StridedView::Simplified(std::vector<ViewFactor> f) {
  std::vector<ViewFactor> out;
  for (const ViewFactor& x : f) {
    if (x.size == 1) continue;
    // An outer factor whose stride steps over the whole inner one continues it: merge.
    if (!out.empty() && out.back().stride == x.stride * x.size) {
      out.back().size *= x.size;
      out.back().stride = x.stride;
      continue;
    }
    out.push_back(x);
  }
  return out;
}

StridedView StridedView::Dense(const Shape& dims) {
  StridedView v;
  int64_t stride = 1;
  v.dims_.resize(dims.size());
  for (size_t i = dims.size(); i-- > 0;) {
    if (dims[i] == 0) v.empty_ = true;
    v.dims_[i] = Simplified({{dims[i], stride}});
    if (dims[i] == 0) v.dims_[i] = {{0, stride}};
    stride *= std::max<int64_t>(dims[i], 1);
  }
  return v;
}

Shape StridedView::shape() const {
  Shape s;
  for (const auto& d : dims_) {
    int64_t n = 1;
    for (const ViewFactor& f : d) n *= f.size;
    s.push_back(n);
  }
  return s;
}

std::optional<int64_t> StridedView::stride(int64_t d) const {
  if (dims_[d].empty()) return 0;
  if (dims_[d].size() != 1) return std::nullopt;
  return dims_[d][0].stride;
}

std::optional<StridedView> StridedView::Reshape(const Shape& dims) const {
  if (empty_) return std::nullopt;
  int64_t want = 1, have = 1;
  for (int64_t d : dims) {
    if (d <= 0) return std::nullopt;
    want *= d;
  }
  std::vector<ViewFactor> flat;
  for (const auto& d : dims_)
    for (const ViewFactor& f : d) {
      flat.push_back(f);
      have *= f.size;
    }
  if (want != have) return std::nullopt;
  StridedView v;
  v.offset_ = offset_;
  size_t next = 0;
  for (int64_t target : dims) {
    std::vector<ViewFactor> mine;
    int64_t rem = target;
    while (rem > 1) {
      if (next >= flat.size()) return std::nullopt;
      ViewFactor& f = flat[next];
      if (rem % f.size == 0) {  // the whole factor belongs to this dim
        mine.push_back(f);
        rem /= f.size;
        ++next;
      } else if (f.size % rem == 0) {  // this dim takes the outer part of the factor
        mine.push_back({rem, f.stride * (f.size / rem)});
        f.size /= rem;
        rem = 1;
      } else {
        return std::nullopt;
      }
    }
    v.dims_.push_back(Simplified(std::move(mine)));
  }
  return next == flat.size() ? std::optional<StridedView>(std::move(v)) : std::nullopt;
}

std::optional<StridedView> StridedView::Transpose(const std::vector<int64_t>& perm) const {
  if (static_cast<int64_t>(perm.size()) != rank()) return std::nullopt;
  std::vector<bool> seen(perm.size(), false);
  StridedView v = *this;
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] < 0 || perm[i] >= rank() || seen[perm[i]]) return std::nullopt;
    seen[perm[i]] = true;
    v.dims_[i] = dims_[perm[i]];
  }
  return v;
}

std::optional<StridedView> StridedView::Narrow(int64_t axis, int64_t start, int64_t len) const {
  if (axis < 0 || axis >= rank() || empty_) return std::nullopt;
  const int64_t size = shape()[axis];
  if (start < 0 || len <= 0 || start + len > size) return std::nullopt;
  const auto st = stride(axis);
  if (!st) return std::nullopt;  // a range of a multi-factor dim is not one strided range
  StridedView v = *this;
  v.offset_ += start * *st;
  v.dims_[axis] = Simplified({{len, *st}});
  return v;
}

std::optional<StridedView> StridedView::MergeDims(int64_t first, int64_t last) const {
  if (first < 0 || last > rank() || first >= last) return std::nullopt;
  StridedView v;
  v.offset_ = offset_;
  v.empty_ = empty_;
  for (int64_t d = 0; d < first; ++d) v.dims_.push_back(dims_[d]);
  std::vector<ViewFactor> merged;
  for (int64_t d = first; d < last; ++d) merged.insert(merged.end(), dims_[d].begin(), dims_[d].end());
  v.dims_.push_back(Simplified(std::move(merged)));
  for (int64_t d = last; d < rank(); ++d) v.dims_.push_back(dims_[d]);
  return v;
}

int64_t StridedView::MaxOffset() const {
  if (empty_) return -1;
  int64_t m = offset_;
  for (const auto& d : dims_)
    for (const ViewFactor& f : d) m += (f.size - 1) * f.stride;
  return m;
}

}  // namespace samq::passes
