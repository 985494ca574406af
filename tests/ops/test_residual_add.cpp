// The addend passes/fuse_residual_add gives a window unpartition: com.samq RowGather input 2,
// y = gather(x) + r. The oracle is the unfused pair: the gather without the addend, then y + r in
// float32 (fast.Add's arithmetic, which commutes exactly). Both the reference and the fast kernel
// must give those bits exactly (the fused graph equals the unfused one, checked on a windowed
// block too); bad addends (other shape, other type) are errors.
#include "backends/registry.h"
#include "linalg_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/graph_builders.h"
#include "support/session_run.h"

namespace samq::testing::linalg {
namespace {

// want + r elementwise, as the unfused Add computes it.
Tensor Plus(const Tensor& want, const Tensor& r) {
  Tensor y = Tensor::Zeros(DType::kFloat32, want.shape());
  for (int64_t i = 0; i < y.numel(); ++i) y.data<float>()[i] = want.data<float>()[i] + r.data<float>()[i];
  return y;
}

// An addend with exact zeros of both signs, so 0 + (-0) = +0 is exercised too.
Tensor Addend(const Shape& shape, uint32_t seed) {
  Tensor r = Random(shape, seed, 3.0f);
  for (int64_t i = 0; i < r.numel(); i += 7) r.data<float>()[i] = (i / 7) % 2 ? -0.0f : 0.0f;
  return r;
}

ir::Node Gather(const std::vector<std::string>& in, const Shape& shape) {
  ir::Node n = GraphNode("RowGather", in, "y", {AttrInts("shape", shape)});
  n.domain = "com.samq";
  return n;
}

TEST(ResidualAdd, RowGatherAddendEqualsTheUnfusedAdd) {
  const Tensor x = Random({5, 24}, 11);
  const Tensor rows = Tensor::FromVector<int64_t>({7}, {4, -1, 0, 0, 2, -1, 3});
  Tensor r = Addend({7, 24}, 12);
  r.data<float>()[1 * 24 + 3] = -0.0f;  // on the zero row
  for (const char* kernel : {"ref.RowGather", "fast.RowGather"}) {
    SCOPED_TRACE(kernel);
    const Tensor want = Plus(Eval1(Gather({"x", "rows"}, {7, 24}), {&x, &rows}, kernel), r);
    const Tensor got = Eval1(Gather({"x", "rows", "r"}, {7, 24}), {&x, &rows, &r}, kernel);
    ASSERT_EQ(got.shape(), want.shape());
    EXPECT_EQ(CountDiffering(want, got), 0);
    // A zero row plus -0 is +0, as the unfused Add gives, not the addend's -0 copied.
    EXPECT_EQ(got.data<float>()[1 * 24 + 3], 0.0f);
    EXPECT_FALSE(std::signbit(got.data<float>()[1 * 24 + 3]));
  }
  // Errors: an addend of another shape or type, a non-float gather.
  const Tensor wrong = Random({7, 23}, 13);
  const Tensor ints = Tensor::Zeros(DType::kInt32, {5, 24});
  for (const char* kernel : {"ref.RowGather", "fast.RowGather"}) {
    auto bad_shape = Eval(Gather({"x", "rows", "r"}, {7, 24}), {&x, &rows, &wrong}, kernel);
    ASSERT_FALSE(bad_shape.ok());
    EXPECT_NE(bad_shape.status().message().find("differ in shape"), std::string::npos) << bad_shape.status().message();
    auto bad_type = Eval(Gather({"x", "rows", "r"}, {7, 24}), {&ints, &rows, &r}, kernel);
    ASSERT_FALSE(bad_type.ok());
    EXPECT_NE(bad_type.status().message().find("float32"), std::string::npos) << bad_type.status().message();
  }
}

// x [1, 6, 6, C] -> window partition (padded to 8 x 8, 4 x 4 windows) -> Relu -> unpartition
// and crop -> + x: the attention half of a windowed block with Relu for the attention.
ir::Model WindowedResidualModel(int64_t c) {
  auto i64 = [](std::vector<int64_t> v) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v); };
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.inputs = {FloatValue("x", {1, 6, 6, c})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  auto& init = m.graph.initializers;
  init["pads"] = i64({0, 0, 0, 0, 0, 2, 2, 0});
  init["split"] = i64({1, 2, 4, 2, 4, c});
  init["windows"] = i64({-1, 4, 4, c});
  init["back"] = i64({1, 2, 2, 4, 4, c});
  init["grid"] = i64({1, 8, 8, c});
  init["zero"] = i64({0});
  init["six"] = i64({6});
  init["ax1"] = i64({1});
  init["ax2"] = i64({2});
  const std::vector<int64_t> swap{0, 1, 3, 2, 4, 5};
  m.graph.nodes = {GraphNode("Pad", {"x", "pads"}, "p"),
                   GraphNode("Reshape", {"p", "split"}, "s"),
                   GraphNode("Transpose", {"s"}, "t", {AttrInts("perm", swap)}),
                   GraphNode("Reshape", {"t", "windows"}, "win"),
                   GraphNode("Relu", {"win"}, "act"),
                   GraphNode("Reshape", {"act", "back"}, "b"),
                   GraphNode("Transpose", {"b"}, "u", {AttrInts("perm", swap)}),
                   GraphNode("Reshape", {"u", "grid"}, "g"),
                   GraphNode("Slice", {"g", "zero", "six", "ax1"}, "c1"),
                   GraphNode("Slice", {"c1", "zero", "six", "ax2"}, "c2"),
                   GraphNode("Add", {"x", "c2"}, "y")};
  return m;
}

TEST(ResidualAdd, WindowUnpartitionAndAddFuseWithTheSameBits) {
  const Tensor x = Random({1, 6, 6, 32}, 21);
  rt::SessionOptions off = FusionTestOptions(true);
  off.fuse_residual_add = false;
  const SessionRun want = RunSession(WindowedResidualModel(32), {{"x", x}}, off);
  ASSERT_TRUE(want.y.defined());
  EXPECT_EQ(want.Count("Add"), 1);
  for (bool ref_only : {false, true}) {
    const SessionRun got = RunSession(WindowedResidualModel(32), {{"x", x}}, FusionTestOptions(ref_only));
    ASSERT_TRUE(got.y.defined());
    EXPECT_EQ(got.Count("Add"), 0) << "the Add folds into the unpartition gather";
    EXPECT_EQ(got.Count("RowGather"), 2);
    EXPECT_EQ(CountDiffering(want.y, got.y), 0) << (ref_only ? "ref" : "fast");
  }
}

}  // namespace
}  // namespace samq::testing::linalg
