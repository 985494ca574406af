// passes/fuse_row_gather + com.samq RowGather (backends/cpu/row_gather.cpp) against the layout
// chains they replace, run on the reference kernels (ref.Pad, ref.Reshape, ref.Transpose and
// ref.Slice are checked against ONNX Runtime by the conformance suite). A gather moves values
// without arithmetic, so fused and unfused must agree exactly. SAM ViT's window partition and
// unpartition fuse; chains that move values across the last dim, pad with a non-zero value, have
// short rows or a graph output inside stay as they are.
#include <gtest/gtest.h>

#include "backends/registry.h"
#include "linalg_test_util.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/graph_builders.h"
#include "support/session_run.h"

namespace samq::testing::linalg {
namespace {

Tensor I64(std::vector<int64_t> v) { return Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v); }

ir::Node Op(const std::string& op, std::vector<std::string> in, const std::string& out,
            std::vector<ir::Attribute> attrs = {}) {
  return GraphNode(op, std::move(in), out, std::move(attrs));
}

// SAM's window_partition of x [1, H, W, C] into 4 x 4 windows (padded to 8 x 8), a Relu, and
// window_unpartition back with the crop: x -> ... -> w [4, 4, 4, C] -> Relu -> ... -> y [1, H, W, C].
ir::Model WindowModel(int64_t h, int64_t w, int64_t c) {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.name = "windows";
  m.graph.inputs = {FloatValue("x", {1, h, w, c})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  auto& init = m.graph.initializers;
  init["pads"] = I64({0, 0, 0, 0, 0, 8 - h, 8 - w, 0});
  init["split"] = I64({1, 2, 4, 2, 4, c});
  init["windows"] = I64({-1, 4, 4, c});
  init["back"] = I64({1, 2, 2, 4, 4, c});
  init["grid"] = I64({1, 8, 8, c});
  init["zero"] = I64({0});
  init["h"] = I64({h});
  init["w"] = I64({w});
  init["ax1"] = I64({1});
  init["ax2"] = I64({2});
  const std::vector<int64_t> swap{0, 1, 3, 2, 4, 5};
  m.graph.nodes = {Op("Pad", {"x", "pads"}, "p"),
                   Op("Reshape", {"p", "split"}, "s"),
                   Op("Transpose", {"s"}, "t", {AttrInts("perm", swap)}),
                   Op("Reshape", {"t", "windows"}, "win"),
                   Op("Relu", {"win"}, "r"),
                   Op("Reshape", {"r", "back"}, "b"),
                   Op("Transpose", {"b"}, "u", {AttrInts("perm", swap)}),
                   Op("Reshape", {"u", "grid"}, "g"),
                   Op("Slice", {"g", "zero", "h", "ax1"}, "c1"),
                   Op("Slice", {"c1", "zero", "w", "ax2"}, "y")};
  return m;
}

SessionRun RunModel(ir::Model model, const Tensor& x, bool ref_only, bool fuse) {
  rt::SessionOptions o = FusionTestOptions(ref_only);
  o.fuse_row_gather = fuse;
  return RunSession(std::move(model), {{"x", x}}, o);
}

TEST(RowGatherFusion, WindowPartitionAndUnpartitionMatchTheChains) {
  for (const Shape& shape : {Shape{1, 6, 6, 16}, Shape{1, 7, 5, 24}, Shape{1, 8, 8, 32}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = Random(shape, static_cast<uint32_t>(shape[1] * 10 + shape[3]));
    const SessionRun want = RunModel(WindowModel(shape[1], shape[2], shape[3]), x, true, false);
    ASSERT_TRUE(want.y.defined());
    EXPECT_EQ(want.Count("RowGather"), 0);
    for (bool ref_only : {false, true}) {
      const SessionRun got = RunModel(WindowModel(shape[1], shape[2], shape[3]), x, ref_only, true);
      ASSERT_TRUE(got.y.defined());
      // 8 x 8 needs no Pad (a zero pad still copies) but the same two chains.
      EXPECT_EQ(got.Count("RowGather"), 2);
      for (const auto& c : got.choices)
        if (c.op_type == "RowGather") {
          EXPECT_EQ(c.kernel, ref_only ? "ref.RowGather" : "fast.RowGather");
        }
      EXPECT_EQ(got.y.shape(), want.y.shape());
      EXPECT_EQ(CountDiffering(want.y, got.y), 0) << (ref_only ? "ref" : "fast") << " vs the chains";
    }
  }
}

// x [1, 16, 16, 16] -> Transpose(0, 1, 3, 2) -> Transpose(0, 2, 1, 3) -> y: the last dim keeps its
// size but its values come from another axis.
ir::Model AcrossTheLastDim() {
  ir::Model m;
  m.opsets = {{"", 17}};
  m.graph.inputs = {FloatValue("x", {1, 16, 16, 16})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  m.graph.nodes = {Op("Transpose", {"x"}, "t", {AttrInts("perm", {0, 1, 3, 2})}),
                   Op("Transpose", {"t"}, "y", {AttrInts("perm", {0, 2, 1, 3})})};
  return m;
}

TEST(RowGatherFusion, NearMissesStayUnfused) {
  auto check = [](ir::Model m, const Shape& shape, const char* what) {
    SCOPED_TRACE(what);
    const Tensor x = Random(shape, 7);
    const SessionRun want = RunModel(m, x, true, false);
    const SessionRun got = RunModel(std::move(m), x, false, true);
    ASSERT_TRUE(want.y.defined() && got.y.defined());
    EXPECT_EQ(got.Count("RowGather"), 0);
    EXPECT_EQ(CountDiffering(want.y, got.y), 0);
  };
  check(AcrossTheLastDim(), {1, 16, 16, 16}, "values moved across the last dim");
  {
    ir::Model m = WindowModel(6, 6, 16);
    m.graph.initializers["one"] = Tensor::FromVector<float>({}, {1.0f});
    m.graph.nodes[0].inputs.push_back("one");  // Pad's constant_value
    m.graph.nodes.resize(4);  // the partition chain alone
    m.graph.nodes[3].outputs = {"y"};
    check(std::move(m), {1, 6, 6, 16}, "padding with 1");
  }
  check(WindowModel(6, 6, 8), {1, 6, 6, 8}, "rows of 8 values");
  {
    ir::Model m = WindowModel(6, 6, 16);
    m.graph.outputs.push_back(FloatValueAnyShape("s"));  // splits the partition after one copy
    m.graph.outputs.push_back(FloatValueAnyShape("u"));  // and the unpartition
    m.graph.outputs.push_back(FloatValueAnyShape("c1"));
    check(std::move(m), {1, 6, 6, 16}, "graph outputs inside the chains");
  }
}

TEST(RowGatherFusion, RowIndexOutsideTheInputIsAUserError) {
  ir::Model m;
  m.opsets = {{"", 17}, {"com.samq", 1}};
  m.graph.inputs = {FloatValue("x", {3, 16})};
  m.graph.outputs = {FloatValueAnyShape("y")};
  m.graph.initializers["rows"] = I64({0, -1, 3});
  ir::Node n = Op("RowGather", {"x", "rows"}, "y", {AttrInts("shape", {3, 16})});
  n.domain = "com.samq";
  m.graph.nodes = {n};
  for (bool ref_only : {false, true}) {
    rt::SessionOptions o;
    o.reference_kernels_only = ref_only;
    auto s = rt::Session::Create(m, backends::DefaultRegistry(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    auto out = (*s)->Run({{"x", Random({3, 16}, 1)}});
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("outside x's 3 rows"), std::string::npos) << out.status().message();
  }
}

}  // namespace
}  // namespace samq::testing::linalg
