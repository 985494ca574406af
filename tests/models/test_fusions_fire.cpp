// The fusions and fast kernels actually take effect on the fixture encoders: every GELU subgraph
// becomes one com.samq Gelu node on fast.Gelu (one per Erf / Tanh node of the original file,
// since each GELU of these models has exactly one), and LayerNormalization / Softmax run on
// their fast kernels. Numerical parity of the fused models is test_fixture_parity.cpp's job.
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
    EXPECT_EQ(c.chosen["Gelu"]["fast.Gelu"], gelus);
    EXPECT_EQ(c.chosen["Erf"].size() + c.chosen["Tanh"].size(), 0u) << "an activation was not fused";
    for (const char* op : {"LayerNormalization", "Softmax"})
      for (const auto& [kernel, n] : c.chosen[op]) EXPECT_EQ(kernel, std::string("fast.") + op);
    std::printf("[fusions] %-24s %d GELU subgraphs -> com.samq Gelu\n", model, gelus);
  }
}

}  // namespace
}  // namespace samq::testing
