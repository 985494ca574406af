// passes/fuse_channels_last_pool + com.samq MaxPoolNhwc (backends/cpu/max_pool_nhwc.cpp) against
// the Transpose -> MaxPool -> Transpose subgraph Hiera exports, run on the reference kernels
// (ref.Transpose and ref.MaxPool are checked against ONNX Runtime by the conformance suite). A
// max moves no value, so both fused kernels must agree with the subgraph exactly. Near misses
// (padding, another reader, another permutation) stay unfused.
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "linalg_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/graph_builders.h"
#include "support/session_run.h"

namespace samq::testing::linalg {
namespace {

struct Pool {
  std::vector<int64_t> kernel{2, 2}, strides{2, 2}, pads;
  std::vector<int64_t> back_perm{0, 2, 3, 1};
};

// x [N, H, W, C] -> Transpose(0, 3, 1, 2) -> MaxPool -> Transpose(back_perm) -> y.
ir::Model ChannelsLastPoolModel(const Shape& x_shape, const Pool& p) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.name = "channels_last_pool";
  m.graph.inputs = {FloatValue("x", x_shape)};
  m.graph.outputs = {FloatValueAnyShape("y")};
  std::vector<ir::Attribute> pool{AttrInts("kernel_shape", p.kernel), AttrInts("strides", p.strides)};
  if (!p.pads.empty()) pool.push_back(AttrInts("pads", p.pads));
  m.graph.nodes = {ir::Node{"to_nchw", "Transpose", "", {"x"}, {"t"}, {AttrInts("perm", {0, 3, 1, 2})}, ""},
                   ir::Node{"pool", "MaxPool", "", {"t"}, {"p"}, pool, ""},
                   ir::Node{"to_nhwc", "Transpose", "", {"p"}, {"y"}, {AttrInts("perm", p.back_perm)}, ""}};
  return m;
}

SessionRun RunPool(ir::Model model, const Tensor& x, bool ref_only, bool fuse) {
  rt::SessionOptions o = FusionTestOptions(ref_only);
  o.fuse_channels_last_pool = fuse;
  return RunSession(std::move(model), {{"x", x}}, o);
}

void ExpectFusedMatchesSubgraph(const Shape& x_shape, const Pool& p, uint32_t seed) {
  SCOPED_TRACE(shape_str(x_shape) + " kernel " + std::to_string(p.kernel[0]) + "x" + std::to_string(p.kernel[1]) +
               " strides " + std::to_string(p.strides[0]) + "x" + std::to_string(p.strides[1]));
  const Tensor x = Random(x_shape, seed);
  const SessionRun want = RunPool(ChannelsLastPoolModel(x_shape, p), x, true, false);
  ASSERT_TRUE(want.y.defined());
  EXPECT_EQ(want.kernel_of_op.count("MaxPoolNhwc"), 0u);
  for (bool ref_only : {false, true}) {
    SessionRun got = RunPool(ChannelsLastPoolModel(x_shape, p), x, ref_only, true);
    ASSERT_TRUE(got.y.defined());
    EXPECT_EQ(got.kernel_of_op.size(), 1u) << "nodes of the pattern were left";
    EXPECT_EQ(got.kernel_of_op["MaxPoolNhwc"], ref_only ? "ref.MaxPoolNhwc" : "fast.MaxPoolNhwc");
    EXPECT_EQ(CountDiffering(want.y, got.y), 0) << got.kernel_of_op["MaxPoolNhwc"] << " vs the subgraph";
  }
}

TEST(ChannelsLastPoolFusion, MatchesTheSubgraph) {
  ExpectFusedMatchesSubgraph({1, 16, 16, 48}, {}, 1);  // Hiera's q-pool: 2x2, stride 2
  Pool odd;
  odd.kernel = {3, 2};
  odd.strides = {2, 3};
  ExpectFusedMatchesSubgraph({2, 9, 11, 17}, odd, 2);  // floor sizes, channels not a vector multiple
  Pool ones;
  ones.kernel = {1, 1};
  ones.strides = {1, 1};
  ExpectFusedMatchesSubgraph({1, 3, 5, 4}, ones, 3);
}

TEST(ChannelsLastPoolFusion, NearMissesStayUnfused) {
  const Shape shape{1, 6, 6, 8};
  const Tensor x = Random(shape, 4);
  Pool padded;
  padded.pads = {1, 1, 1, 1};
  Pool other_perm;
  other_perm.back_perm = {0, 3, 2, 1};
  for (const Pool& p : {padded, other_perm}) {
    const SessionRun want = RunPool(ChannelsLastPoolModel(shape, p), x, true, false);
    const SessionRun got = RunPool(ChannelsLastPoolModel(shape, p), x, false, true);
    EXPECT_EQ(got.kernel_of_op.count("MaxPoolNhwc"), 0u);
    EXPECT_EQ(CountDiffering(want.y, got.y), 0);
  }
  // The NCHW copy is also a graph output: it must still be written.
  ir::Model m = ChannelsLastPoolModel(shape, {});
  m.graph.outputs.push_back(FloatValueAnyShape("t"));
  const SessionRun got = RunPool(std::move(m), x, false, true);
  EXPECT_EQ(got.kernel_of_op.count("MaxPoolNhwc"), 0u);
}

TEST(ChannelsLastPoolFusion, WindowLargerThanInputIsAUserError) {
  ir::Model m;
  m.opsets = {{"", 17}, {"com.samq", 1}};
  m.graph.name = "bad_pool";
  m.graph.inputs = {FloatValue("x", {1, 1, 3, 4})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  m.graph.nodes = {ir::Node{"pool", "MaxPoolNhwc", "com.samq", {"x"}, {"y"},
                            {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})}, ""}};
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("smaller than the window"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace samq::testing::linalg
