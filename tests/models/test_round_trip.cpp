// Round trip: import -> export -> import of every fixture model keeps the graph, and the
// re-exported file gives identical outputs in samq and loads and runs in ONNX Runtime.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "backends/registry.h"
#include "io/npy.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "support/compare.h"
#include "support/fixtures.h"
#include "support/oracle_tools.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

Tensor Npy(const fs::path& p) {
  auto r = io::ReadNpy(p);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : Tensor();
}

std::map<std::string, Tensor> RunModel(ir::Model m, const std::map<std::string, Tensor>& feeds) {
  auto s = rt::Session::Create(std::move(m), backends::DefaultRegistry());
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return {};
  auto out = (*s)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? std::move(out).value() : std::map<std::string, Tensor>{};
}

// The SAM-1 decoder and the SAM 2 decoder: small, with stored feeds, and full of shape logic.
struct Case {
  const char* model;
  const char* cases;
  std::vector<std::pair<std::string, std::string>> feeds;  // input name -> file in cases/
};

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, ReexportedModelGivesIdenticalOutputsAndLoadsInOrt) {
  SAMQ_REQUIRE_FIXTURES();
  const Case& c = GetParam();
  fs::path src = testing::FixturesDir() / c.model;
  auto first = onnx::LoadModel(src);
  ASSERT_TRUE(first.ok()) << first.status().message();
  // One folder per case and process: ctest runs the cases in parallel, and both models are
  // called decoder.onnx.
  fs::path dir = fs::temp_directory_path() /
                 ("samq_round_trip_" + fs::path(c.model).parent_path().filename().string() + "_" +
                  std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path copy = dir / fs::path(c.model).filename();
  ASSERT_TRUE(onnx::SaveModel(first->model, copy).ok());
  auto second = onnx::LoadModel(copy);
  ASSERT_TRUE(second.ok()) << second.status().message();
  // Same structure: nodes, attributes count, initializers and their bytes.
  const auto& a = first->model.graph;
  const auto& b = second->model.graph;
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    EXPECT_EQ(a.nodes[i].op_type, b.nodes[i].op_type);
    EXPECT_EQ(a.nodes[i].inputs, b.nodes[i].inputs);
    EXPECT_EQ(a.nodes[i].outputs, b.nodes[i].outputs);
    EXPECT_EQ(a.nodes[i].attributes.size(), b.nodes[i].attributes.size());
  }
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, t] : a.initializers) {
    const Tensor& u = b.initializers.at(name);
    ASSERT_EQ(t.dtype(), u.dtype()) << name;
    ASSERT_EQ(t.shape(), u.shape()) << name;
    EXPECT_EQ(0, std::memcmp(t.raw(), u.raw(), t.nbytes())) << name;
  }
  // Deterministic export: saving again gives the same bytes.
  auto bytes1 = onnx::SerializeModel(first->model), bytes2 = onnx::SerializeModel(second->model);
  ASSERT_TRUE(bytes1.ok() && bytes2.ok());
  EXPECT_TRUE(*bytes1 == *bytes2) << "export is not deterministic";

  std::map<std::string, Tensor> feeds;
  fs::path cases = testing::FixturesDir() / c.cases;
  for (const auto& [in, file] : c.feeds) feeds[in] = Npy(cases / file);
  auto out1 = RunModel(first->model, feeds);
  auto out2 = RunModel(second->model, feeds);
  ASSERT_FALSE(out1.empty());
  for (const auto& [name, t] : out1) {
    auto d = testing::CompareTensors(t, out2.at(name));
    EXPECT_TRUE(d.same_shape && d.max_abs == 0) << name << ": " << d.str();
  }
  auto ort = testing::RunOrt(copy.string(), feeds);
  if (!ort.available) {
    if (testing::InCi()) FAIL() << "python3/onnxruntime missing: " << ort.err;
    GTEST_SKIP() << "onnxruntime not available";
  }
  ASSERT_EQ(ort.exit_code, 0) << "ONNX Runtime rejected the re-exported model: " << ort.err;
  for (const auto& [name, t] : ort.outputs) {
    auto d = testing::CompareTensors(t, out1.at(name));
    std::printf("[round-trip] %s %s vs ORT: max abs %.3g\n", c.model, name.c_str(), d.max_abs);
    EXPECT_LE(d.max_abs, 1e-4) << name << ": " << d.str();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, RoundTrip,
    ::testing::Values(
        Case{"sam1-decoder/decoder.onnx", "mobilesam/cases",
             {{"image_embeddings", "image_embeddings.npy"}, {"point_coords", "decoder_in_point_coords.npy"},
              {"point_labels", "decoder_in_point_labels.npy"}, {"mask_input", "decoder_in_mask_input.npy"},
              {"has_mask_input", "decoder_in_has_mask_input.npy"}, {"orig_im_size", "decoder_in_orig_im_size.npy"}}},
        Case{"sam2-mini/decoder.onnx", "sam2-mini/cases",
             {{"image_embed", "image_embed.npy"}, {"high_res_feats_0", "high_res_feats_0.npy"},
              {"high_res_feats_1", "high_res_feats_1.npy"}, {"point_coords", "decoder_in_point_coords.npy"},
              {"point_labels", "decoder_in_point_labels.npy"}, {"mask_input", "decoder_in_mask_input.npy"},
              {"has_mask_input", "decoder_in_has_mask_input.npy"}}}),
    [](const auto& info) { return std::to_string(info.index); });

}  // namespace
}  // namespace samq
