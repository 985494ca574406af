// The fusions and fast kernels actually take effect on the fixture encoders: every GELU subgraph
// becomes one com.samq Gelu node on fast.Gelu, or part of a com.samq ConvGelu when it follows a
// Conv, or of a com.samq MatMulBias when it follows a linear layer, or of a com.samq MBConv block
// (one per Erf / Tanh node of the original file, since each GELU of these models has
// exactly one), and LayerNormalization / Softmax run on
// their fast kernels; Hiera's MaxPools pool channels-last. Numerical parity of the fused models is test_fixture_parity.cpp's job.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "backends/registry.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "support/fixtures.h"

namespace samq::testing {
namespace {

struct Counts {
  std::map<std::string, int> original;             // op_type -> nodes in the file
  std::map<std::string, std::map<std::string, int>> chosen;  // op_type -> kernel -> nodes
  int matmul_gelus = 0;  // com.samq MatMulBias nodes with activation = "gelu"
  int mbconv_gelus = 0;  // GELUs inside com.samq MBConv nodes: 2 each, 3 with activation = "gelu"
};

Counts Compile(const std::filesystem::path& p) {
  Counts c;
  auto imported = onnx::LoadModel(p);
  EXPECT_TRUE(imported.ok()) << imported.status().message();
  if (!imported.ok()) return c;
  for (const auto& n : imported->model.graph.nodes) ++c.original[n.op_type];
  auto s = rt::Session::Create(std::move(imported->model), backends::DefaultRegistry());
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return c;
  for (const auto& k : (*s)->kernel_choices()) ++c.chosen[k.op_type][k.kernel];
  for (const auto& n : (*s)->model().graph.nodes)
  {
    if (n.op_type == "MatMulBias" && n.attr_string("activation", "none") == "gelu") ++c.matmul_gelus;
    if (n.op_type == "MBConv") c.mbconv_gelus += n.attr_string("activation", "none") == "gelu" ? 3 : 2;
  }
  return c;
}

TEST(Fusions, GeluAndFastNormKernelsFireOnFixtureEncoders) {
  SAMQ_REQUIRE_FIXTURES();
  for (const char* model : {"mobilesam", "sam-vit-mini", "efficientvit-sam-mini", "sam2-mini"}) {
    SCOPED_TRACE(model);
    const auto path = FixturesDir() / model / "encoder.onnx";
    SAMQ_REQUIRE_PATH(path);
    Counts c = Compile(path);
    const int gelus = c.original["Erf"] + c.original["Tanh"];
    ASSERT_GT(gelus, 0);
    // A GELU right after a float32 Conv is folded into it (passes/fuse_conv_gelu): com.samq
    // ConvGelu, on one of its fused kernels (never the reference).
    int conv_gelus = 0;
    for (const auto& [kernel, n] : c.chosen["ConvGelu"]) {
      EXPECT_NE(kernel, "ref.ConvGelu");
      conv_gelus += n;
    }
    // Likewise after a linear layer (passes/fuse_matmul_bias): com.samq MatMulBias, never on
    // its reference kernel.
    EXPECT_EQ(c.chosen["MatMulBias"]["ref.MatMulBias"], 0);
    // And inside an expand -> depthwise -> project block (passes/fuse_mbconv): com.samq MBConv.
    EXPECT_EQ(c.chosen["MBConv"]["ref.MBConv"], 0);
    EXPECT_EQ(c.chosen["Gelu"]["fast.Gelu"] + conv_gelus + c.matmul_gelus + c.mbconv_gelus, gelus);
    EXPECT_EQ(c.chosen["Erf"].size() + c.chosen["Tanh"].size(), 0u) << "an activation was not fused";
    // Hiera's q-pools (sam2-mini) are exported between NHWC <-> NCHW Transposes: every one pools
    // channels-last (passes/fuse_channels_last_pool) on the fast kernel.
    if (std::string(model) == "sam2-mini") {
      EXPECT_GT(c.original["MaxPool"], 0);
    }
    EXPECT_EQ(c.chosen["MaxPoolNhwc"]["fast.MaxPoolNhwc"], c.original["MaxPool"]);
    EXPECT_EQ(c.chosen["MaxPool"].size(), 0u) << "a MaxPool was not fused";
    for (const char* op : {"LayerNormalization", "Softmax"})
      for (const auto& [kernel, n] : c.chosen[op]) EXPECT_EQ(kernel, std::string("fast.") + op);
    std::printf("[fusions] %-24s %d GELU subgraphs -> com.samq Gelu (%d into ConvGelu, %d into MatMulBias, %d into MBConv)\n",
                model, gelus, conv_gelus, c.matmul_gelus, c.mbconv_gelus);
  }
}

}  // namespace
}  // namespace samq::testing
