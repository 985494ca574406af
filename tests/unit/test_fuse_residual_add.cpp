// passes::FuseResidualAdd: an Add of two same-shape float32 values folds into the RowGather (input
// 2) computing one of them, which then writes the Add's output; near misses (broadcasting, a
// second reader, a graph output, a gather with an addend already, other producers, an addend
// computed after the gather, unknown shapes) stay as they are. The kernels are checked in
// tests/ops/test_residual_add.cpp, MobileSAM end to end in tests/quant.
#include <gtest/gtest.h>

#include <map>

#include "passes/fuse_residual_add.h"
#include "support/graph_builders.h"

namespace samq {
namespace {

using Types = std::map<std::string, ir::TensorType>;

ir::TensorType F32(Shape dims) { return {DType::kFloat32, true, std::move(dims)}; }

// r, (x -> RowGather(x, rows) -> h) -> Add(h, r) -> y, with h, r and y of [4, 8].
struct Case {
  ir::Graph g;
  Types types;
};
Case Unpartition() {
  Case c;
  c.g.inputs = {testing::FloatValueAnyShape("x"), testing::FloatValueAnyShape("r")};
  c.g.outputs = {testing::FloatValueAnyShape("y")};
  c.g.initializers["rows"] = Tensor::Zeros(DType::kInt64, {4});
  c.g.nodes = {testing::SamqNode("RowGather", {"x", "rows"}, "h"), testing::GraphNode("Add", {"h", "r"}, "y")};
  c.types = {{"x", F32({6, 8})}, {"r", F32({4, 8})}, {"h", F32({4, 8})}, {"y", F32({4, 8})}};
  return c;
}

TEST(FuseResidualAdd, RowGatherTakesTheAddend) {
  for (bool swapped : {false, true}) {
    Case c = Unpartition();
    if (swapped) c.g.nodes[1].inputs = {"r", "h"};
    EXPECT_EQ(passes::FuseResidualAdd(c.g, c.types), 1);
    ASSERT_EQ(c.g.nodes.size(), 1u);
    EXPECT_EQ(c.g.nodes[0].op_type, "RowGather");
    EXPECT_EQ(c.g.nodes[0].inputs, (std::vector<std::string>{"x", "rows", "r"}));
    EXPECT_EQ(c.g.nodes[0].outputs, (std::vector<std::string>{"y"}));
  }
}

TEST(FuseResidualAdd, NearMissesStayUnfused) {
  auto expect_none = [](Case c, const char* what) {
    const size_t nodes = c.g.nodes.size();
    EXPECT_EQ(passes::FuseResidualAdd(c.g, c.types), 0) << what;
    EXPECT_EQ(c.g.nodes.size(), nodes) << what;
  };
  {
    Case c = Unpartition();
    c.types["r"] = F32({1, 8});  // broadcast over rows
    expect_none(c, "broadcasting addend");
  }
  {
    Case c = Unpartition();
    c.types.erase("r");
    expect_none(c, "addend of unknown shape");
  }
  {
    Case c = Unpartition();
    c.types["h"].dtype = c.types["r"].dtype = c.types["y"].dtype = DType::kFloat16;
    expect_none(c, "float16 values");
  }
  {
    Case c = Unpartition();
    c.g.outputs.push_back(testing::FloatValueAnyShape("h"));
    expect_none(c, "gather output is a graph output");
  }
  {
    Case c = Unpartition();
    c.g.nodes.push_back(testing::GraphNode("Relu", {"h"}, "other"));
    expect_none(c, "gather output has a second reader");
  }
  {
    Case c = Unpartition();
    c.g.nodes[0].inputs.push_back("r0");  // has an addend already
    expect_none(c, "gather with an addend");
  }
  {
    Case c = Unpartition();
    c.g.nodes[0] = testing::SamqNode("QMatMul", {"x", "s", "z", "w", "ws"}, "h");
    expect_none(c, "a QMatMul producer");
  }
  {
    Case c = Unpartition();
    c.g.nodes[0].domain = "";
    expect_none(c, "RowGather outside com.samq");
  }
  {
    // The addend is computed after the gather: folding would read it before it exists.
    Case c = Unpartition();
    c.g.nodes.insert(c.g.nodes.begin() + 1, testing::GraphNode("Relu", {"x2"}, "late"));
    c.g.inputs.push_back(testing::FloatValueAnyShape("x2"));
    c.g.nodes[2].inputs = {"h", "late"};
    c.types["late"] = F32({4, 8});
    expect_none(c, "addend computed after the gather");
  }
  {
    Case c = Unpartition();
    c.g.nodes[1].op_type = "Sub";
    expect_none(c, "Sub, not Add");
  }
}

TEST(FuseResidualAdd, TwoBlocksInARow) {
  // h1 = gather(x) + r, y = gather(h1) + h1: both fold, the second taking the first's folded
  // output as its addend (h1 may have several readers: it is the addend, not the fused value).
  Case c = Unpartition();
  c.types["x"] = F32({4, 8});
  c.g.nodes[1].outputs = {"h1"};
  c.g.nodes.push_back(testing::SamqNode("RowGather", {"h1", "rows"}, "h2"));
  c.g.nodes.push_back(testing::GraphNode("Add", {"h2", "h1"}, "y"));
  c.types["h1"] = c.types["h2"] = F32({4, 8});
  EXPECT_EQ(passes::FuseResidualAdd(c.g, c.types), 2);
  ASSERT_EQ(c.g.nodes.size(), 2u);
  EXPECT_EQ(c.g.nodes[0].outputs, (std::vector<std::string>{"h1"}));
  EXPECT_EQ(c.g.nodes[1].inputs, (std::vector<std::string>{"h1", "rows", "h1"}));
  EXPECT_EQ(c.g.nodes[1].outputs, (std::vector<std::string>{"y"}));
}

}  // namespace
}  // namespace samq
