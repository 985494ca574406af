// passes::StridedView against the ops it stands for: each chain of Reshape / Transpose / Split /
// Squeeze below runs as an ONNX graph on the reference kernels over a source holding its own
// element indices (0, 1, 2, ...), so the graph's output lists, in order, which source element
// each output element is. The view must name the same elements. Chains are the ones the SAM
// exporters write between the qkv projection and the attention, plus a reshape that merges dims
// a transpose separated (kept as several factors) and ones that cannot be expressed.
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "passes/strided_view.h"
#include "runtime/session.h"

namespace samq::passes {
namespace {

// One step of a chain: Reshape to `dims`, Transpose by `perm`, or output `index` of an
// equal Split along `axis` into `parts`.
struct Step {
  enum Kind { kReshape, kTranspose, kSplit } kind;
  std::vector<int64_t> arg;  // dims | perm | {axis, parts, index}
};

Step Reshape(Shape d) { return {Step::kReshape, std::move(d)}; }
Step Transpose(std::vector<int64_t> p) { return {Step::kTranspose, std::move(p)}; }
Step Split(int64_t axis, int64_t parts, int64_t index) { return {Step::kSplit, {axis, parts, index}}; }

// The chain on the reference kernels: which source element each output element is.
Tensor RunChain(const Shape& source, const std::vector<Step>& steps) {
  ir::Model m;
  m.opsets = {{"", 17}};
  ir::Graph& g = m.graph;
  ir::ValueInfo in;
  in.name = "x0";
  in.dtype = DType::kFloat32;
  in.has_shape = true;
  for (int64_t d : source) in.dims.push_back({d, ""});
  g.inputs = {in};
  std::string cur = "x0";
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const std::string out = "x" + std::to_string(i + 1);
    ir::Node n;
    n.name = out + "_node";
    n.outputs = {out};
    if (s.kind == Step::kReshape) {
      n.op_type = "Reshape";
      const std::string shape = out + "_shape";
      g.initializers[shape] = Tensor::FromVector<int64_t>({static_cast<int64_t>(s.arg.size())}, s.arg);
      n.inputs = {cur, shape};
    } else if (s.kind == Step::kTranspose) {
      n.op_type = "Transpose";
      n.inputs = {cur};
      ir::Attribute a;
      a.name = "perm";
      a.type = ir::AttrType::kInts;
      a.ints = s.arg;
      n.attributes = {a};
    } else {
      n.op_type = "Split";
      n.inputs = {cur};
      ir::Attribute a;
      a.name = "axis";
      a.type = ir::AttrType::kInt;
      a.i = s.arg[0];
      n.attributes = {a};
      n.outputs.clear();
      for (int64_t p = 0; p < s.arg[1]; ++p) n.outputs.push_back(p == s.arg[2] ? out : out + "_unused" + std::to_string(p));
    }
    g.nodes.push_back(n);
    cur = out;
  }
  ir::ValueInfo o;
  o.name = cur;
  o.dtype = DType::kFloat32;
  g.outputs = {o};
  rt::SessionOptions opt;
  opt.optimize = false;
  opt.reference_kernels_only = true;
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry(), opt);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return Tensor();
  Tensor x = Tensor::Zeros(DType::kFloat32, source);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i);
  auto r = (*s)->Run({{"x0", x}});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->at(cur) : Tensor();
}

std::optional<StridedView> ApplyChain(const Shape& source, const std::vector<Step>& steps) {
  std::optional<StridedView> v = StridedView::Dense(source);
  for (const Step& s : steps) {
    if (!v) break;
    if (s.kind == Step::kReshape) {
      v = v->Reshape(s.arg);
    } else if (s.kind == Step::kTranspose) {
      v = v->Transpose(s.arg);
    } else {
      const int64_t len = v->shape()[s.arg[0]] / s.arg[1];
      v = v->Narrow(s.arg[0], s.arg[2] * len, len);
    }
  }
  return v;
}

// Offsets of every element of `v`, in row-major order of its logical shape.
std::vector<int64_t> Offsets(const StridedView& v) {
  std::vector<int64_t> out{v.offset()};
  for (int64_t d = 0; d < v.rank(); ++d) {
    // Row-major: each dim's digits vary inside the previous dims'.
    std::vector<int64_t> digits{0};
    for (const ViewFactor& f : v.factors(d)) {
      std::vector<int64_t> next;
      for (int64_t base : digits)
        for (int64_t i = 0; i < f.size; ++i) next.push_back(base + i * f.stride);
      digits = std::move(next);
    }
    std::vector<int64_t> next;
    for (int64_t base : out)
      for (int64_t dd : digits) next.push_back(base + dd);
    out = std::move(next);
  }
  return out;
}

void ExpectViewMatchesOps(const Shape& source, const std::vector<Step>& steps) {
  const Tensor want = RunChain(source, steps);
  ASSERT_TRUE(want.defined());
  const auto view = ApplyChain(source, steps);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->shape(), want.shape());
  const std::vector<int64_t> got = Offsets(*view);
  ASSERT_EQ(static_cast<int64_t>(got.size()), want.numel());
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_EQ(got[i], static_cast<int64_t>(want.data<float>()[i])) << "element " << i;
  EXPECT_EQ(view->MaxOffset(), *std::max_element(got.begin(), got.end()));
}

TEST(StridedView, HieraQkvSplit) {
  // qkv [B, N, 3*heads*d] -> [B, N, 3, heads, d] -> split axis 2 -> [B, N, heads, d] -> Q / Kᵀ.
  for (int64_t part : {0, 1, 2}) {
    ExpectViewMatchesOps({2, 6, 24}, {Reshape({2, 6, 3, 2, 4}), Split(2, 3, part), Reshape({2, 6, 2, 4}),
                                      Transpose({0, 2, 1, 3})});
    ExpectViewMatchesOps({2, 6, 24}, {Reshape({2, 6, 3, 2, 4}), Split(2, 3, part), Reshape({2, 6, 2, 4}),
                                      Transpose({0, 2, 3, 1})});
  }
}

TEST(StridedView, SamVitQkvTransposeThenSplit) {
  // [B, H, W, 3C] -> [B, HW, 3, heads, d] -> perm 2,0,3,1,4 -> [3, B*heads, HW, d] -> split.
  // With B = 2 the last reshape merges B and heads, which the transpose put apart in memory.
  for (int64_t b : {1, 2})
    for (int64_t part : {0, 2})
      ExpectViewMatchesOps({b, 2, 3, 24}, {Reshape({b, 6, 3, 2, 4}), Transpose({2, 0, 3, 1, 4}),
                                           Reshape({3, b * 2, 6, 4}), Split(0, 3, part), Reshape({b * 2, 6, 4})});
}

TEST(StridedView, TinyVitPerHeadSplit) {
  // [windows, N, 3*heads*d] -> [windows, N, heads, 3d] -> split last axis -> perm 0,2,1,3.
  for (int64_t part : {0, 1, 2})
    ExpectViewMatchesOps({5, 7, 24}, {Reshape({5, 7, 2, 12}), Split(3, 3, part), Transpose({0, 2, 1, 3})});
}

TEST(StridedView, OutputSideInverse) {
  // Y [B, heads, N, d] -> perm 0,2,1,3 -> [B, N, heads*d]: the fold walks this backwards from
  // the dense result, so check the inverse chain too.
  ExpectViewMatchesOps({2, 6, 8}, {Reshape({2, 6, 2, 4}), Transpose({0, 2, 1, 3})});
  ExpectViewMatchesOps({3, 4, 5, 6}, {Transpose({3, 1, 0, 2}), Reshape({6, 12, 5}), Transpose({2, 0, 1})});
}

TEST(StridedView, UnexpressibleChainsAreRejected) {
  // [6, 4] transposed to [4, 6] (strides 1, 4) cannot be cut into [3, 8].
  EXPECT_FALSE(ApplyChain({6, 4}, {Transpose({1, 0}), Reshape({3, 8})}).has_value());
  // Element counts differ; a bad permutation; a range past the end.
  EXPECT_FALSE(StridedView::Dense({2, 3}).Reshape({7}).has_value());
  EXPECT_FALSE(StridedView::Dense({2, 3}).Transpose({0, 0}).has_value());
  EXPECT_FALSE(StridedView::Dense({2, 3}).Narrow(1, 2, 2).has_value());
  // A range of a dim made of two factors is not one strided range.
  auto merged = StridedView::Dense({2, 3, 4}).Transpose({1, 0, 2})->Reshape({6, 4});
  ASSERT_TRUE(merged.has_value());
  EXPECT_FALSE(merged->stride(0).has_value());
  EXPECT_FALSE(merged->Narrow(0, 1, 2).has_value());
}

}  // namespace
}  // namespace samq::passes
