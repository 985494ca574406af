// Every fixture model and full-size graph is fully supported: `samq inspect --json` reports no
// unsupported node, and every op type in its histogram is one `samq ops --json` lists. The
// models are the official exporters' output (fixtures/README.md), so this is the "can samq run
// the files people have" check of issue 2, through the same CLI users call.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq::testing {
namespace {

std::set<std::string> ListedOps() {
  CliResult r = RunCli({"ops", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> ops;
  for (const auto& o : nlohmann::json::parse(r.out))
    if (o["domain"].get<std::string>().empty()) ops.insert(o["op"].get<std::string>());
  return ops;
}

TEST(InspectFixtures, EveryFixtureOpIsSupported) {
  SAMQ_REQUIRE_FIXTURES();
  const std::set<std::string> listed = ListedOps();
  ASSERT_GT(listed.size(), 100u);
  const auto fx = FixturesDir();
  const std::vector<std::filesystem::path> models = {
      fx / "sam-vit-mini/encoder.onnx",          fx / "mobilesam/encoder.onnx",
      fx / "efficientvit-sam-mini/encoder.onnx", fx / "sam2-mini/encoder.onnx",
      fx / "sam2-mini/decoder.onnx",             fx / "sam1-decoder/decoder.onnx",
      fx / "graphs/sam-vit-b.encoder.onnx",      fx / "graphs/efficientvit-sam-l0.encoder.onnx",
      fx / "graphs/sam2.1-hiera-tiny.encoder.onnx"};
  for (const auto& m : models) {
    SCOPED_TRACE(m.string());
    ASSERT_TRUE(std::filesystem::exists(m));
    CliResult r = RunCli({"inspect", "--json", m.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["unsupported_nodes"].empty()) << j["unsupported_nodes"].dump();
    ASSERT_FALSE(j["op_histogram"].empty());
    for (const auto& [op, count] : j["op_histogram"].items())
      EXPECT_TRUE(listed.count(op)) << op << " (" << count << " nodes) is not in `samq ops`";
  }
}

}  // namespace
}  // namespace samq::testing
