// The QDQ graph samq writes, on a small model with every case (tests/support/quant_tiny_model.h):
// which nodes read their inputs through DequantizeLinear, shared pairs, exclusions left untouched,
// weight forms and axes, determinism, and ONNX Runtime loading and agreeing with samq.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "backends/registry.h"
#include "io/atomic_file.h"
#include "io/npy.h"
#include "support/run_cli.h"
#include "onnx/export.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "samq/samq.h"
#include "support/compare.h"
#include "support/oracle_tools.h"
#include "support/quant_tiny_model.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

class QdqStructure : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("samq_qdq_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(onnx::SaveModel(testing::QuantTinyModel(), dir_ / "float.onnx").ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  QuantizeOptions Options(const std::string& out) {
    QuantizeOptions o;
    o.model = (dir_ / "float.onnx").string();
    o.out = (dir_ / out).string();
    o.random_calib = true;
    o.calib_size = 3;
    o.threads = 1;
    return o;
  }
  ir::Model Quantize(const QuantizeOptions& o) {
    auto r = quantize(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    auto m = onnx::LoadModel(o.out);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? m->model : ir::Model{};
  }
  static const ir::Node* Find(const ir::Model& m, const std::string& name) {
    for (const auto& n : m.graph.nodes)
      if (n.name == name) return &n;
    return nullptr;
  }
  static const ir::Node* Producer(const ir::Model& m, const std::string& value) {
    for (const auto& n : m.graph.nodes)
      for (const auto& o : n.outputs)
        if (o == value) return &n;
    return nullptr;
  }
  static bool ReadsThroughDq(const ir::Model& m, const std::string& node, int input) {
    const ir::Node* n = Find(m, node);
    if (!n || input >= n->num_inputs()) return false;
    const ir::Node* p = Producer(m, n->inputs[input]);
    return p && p->op_type == "DequantizeLinear";
  }
  static int Count(const ir::Model& m, const std::string& op) {
    int k = 0;
    for (const auto& n : m.graph.nodes) k += n.op_type == op;
    return k;
  }
  std::string Bytes(const std::string& name) { return io::ReadFile(dir_ / name).value(); }

  fs::path dir_;
};

TEST_F(QdqStructure, DefaultSchemeQuantizesWeightedNodesOnly) {
  ir::Model m = Quantize(Options("q.onnx"));
  for (const char* n : {"conv0", "fc", "fc_skip", "head"}) {
    EXPECT_TRUE(ReadsThroughDq(m, n, 0)) << n << " input 0";
    EXPECT_TRUE(ReadsThroughDq(m, n, 1)) << n << " input 1";
  }
  // The attention MatMul (two activations) is untouched: it reads m and the Transpose output.
  const ir::Node* attn = Find(m, "attn");
  ASSERT_NE(attn, nullptr);
  EXPECT_EQ(attn->inputs, (std::vector<std::string>{"m", "mt_out"}));
  // Conv bias stays float and is read directly.
  EXPECT_EQ(Find(m, "conv0")->inputs[2], "conv0.B");
  // f feeds fc and fc_skip: one shared Q->DQ pair.
  EXPECT_EQ(Find(m, "fc")->inputs[0], Find(m, "fc_skip")->inputs[0]);
  // Activations: x, f, m2 -> 3 pairs; weights (qdq form): 4 pairs.
  EXPECT_EQ(Count(m, "QuantizeLinear"), 7);
  EXPECT_EQ(Count(m, "DequantizeLinear"), 7);
  // Per-channel axes: Conv W axis 0, MatMul [K,N] axis 1, Gemm transB axis 0.
  auto axis_of = [&](const std::string& node) {
    return Producer(m, Find(m, node)->inputs[1])->attr_int("axis", -99);
  };
  EXPECT_EQ(axis_of("conv0"), 0);
  EXPECT_EQ(axis_of("fc"), 1);
  EXPECT_EQ(axis_of("head"), 0);
  // Activations are uint8, asymmetric.
  const ir::Node* dq = Producer(m, Find(m, "fc")->inputs[0]);
  EXPECT_EQ(m.graph.initializers.at(dq->inputs[2]).dtype(), DType::kUInt8);
  EXPECT_GE(m.default_opset(), 13);
}

TEST_F(QdqStructure, ExcludeRegexLeavesNodeUntouched) {
  QuantizeOptions o = Options("q.onnx");
  o.exclude = {"^fc_sk", "nomatch"};
  ir::Model m = Quantize(o);
  EXPECT_EQ(Find(m, "fc_skip")->inputs, (std::vector<std::string>{"f", "fc_skip.W"}));
  EXPECT_TRUE(ReadsThroughDq(m, "fc", 0));
  EXPECT_EQ(m.graph.initializers.at("fc_skip.W").dtype(), DType::kFloat32);
}

TEST_F(QdqStructure, OpTypesAndAttention) {
  QuantizeOptions o = Options("q.onnx");
  o.op_types = {"MatMul"};
  o.quantize_attention = true;
  ir::Model m = Quantize(o);
  EXPECT_TRUE(ReadsThroughDq(m, "attn", 0));
  EXPECT_TRUE(ReadsThroughDq(m, "attn", 1));
  EXPECT_EQ(Find(m, "conv0")->inputs[0], "x");      // Conv not in --op-types
  EXPECT_EQ(Find(m, "head")->inputs[1], "head.W");  // Gemm not either
  // m feeds fc's consumers attn (input 0) and Transpose: the Transpose still reads float m.
  EXPECT_EQ(Find(m, "mt")->inputs[0], "m");
}

TEST_F(QdqStructure, DqWeightsAreInt8InitializersAndPerTensorHasNoAxis) {
  QuantizeOptions o = Options("q.onnx");
  o.weights = "dq";
  o.per_channel = false;
  o.activation_type = "s8";
  ir::Model m = Quantize(o);
  const ir::Node* wdq = Producer(m, Find(m, "fc")->inputs[1]);
  ASSERT_NE(wdq, nullptr);
  EXPECT_EQ(wdq->op_type, "DequantizeLinear");
  EXPECT_EQ(m.graph.initializers.at(wdq->inputs[0]).dtype(), DType::kInt8);
  EXPECT_EQ(wdq->attr("axis"), nullptr);
  EXPECT_EQ(m.graph.initializers.at(wdq->inputs[1]).rank(), 0);
  EXPECT_EQ(m.graph.initializers.count("fc.W"), 0u);  // the float copy is gone
  EXPECT_EQ(Count(m, "QuantizeLinear"), 3);           // activations only
  const ir::Node* adq = Producer(m, Find(m, "fc")->inputs[0]);
  EXPECT_EQ(m.graph.initializers.at(adq->inputs[2]).dtype(), DType::kInt8);
}

TEST_F(QdqStructure, DeterministicBytesForEveryMethod) {
  for (const char* method : {"max", "entropy", "percentile", "mse"}) {
    QuantizeOptions a = Options("a.onnx"), b = Options("b.onnx");
    a.calib_method = b.calib_method = method;
    ASSERT_TRUE(quantize(a).ok());
    ASSERT_TRUE(quantize(b).ok());
    EXPECT_EQ(Bytes("a.onnx"), Bytes("b.onnx")) << method;
  }
}

// ONNX Runtime loads the QDQ file and computes what samq computes on it.
TEST_F(QdqStructure, OrtRunsItAndAgreesWithSamq) {
  for (const char* weights : {"qdq", "dq"}) {
    QuantizeOptions o = Options(std::string("q_") + weights + ".onnx");
    o.weights = weights;
    o.quantize_attention = true;
    ir::Model m = Quantize(o);
    Tensor x = testing::QuantTinyWeights({1, 3, 8, 8}, 11);
    auto session = rt::Session::Create(m, backends::DefaultRegistry());
    ASSERT_TRUE(session.ok()) << session.status().message();
    auto ours = (*session)->Run({{"x", x}});
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    auto ort = testing::RunOrt(o.out, {{"x", x}});
    ASSERT_EQ(ort.exit_code, 0) << ort.err;
    for (const char* out : {"y", "z", "g"}) {
      auto d = testing::CompareTensors(ort.outputs.at(out), ours->at(out));
      // Both dequantize the same integers; only float summation order differs.
      EXPECT_LT(d.max_abs, 1e-3) << weights << " " << out << ": " << d.str();
    }
  }
}

// --mode fp8: E4M3FN Q/DQ at opset 19, per-tensor activation scales amax/448; ORT runs it.
TEST_F(QdqStructure, Fp8OrtRunsItAndAgreesWithSamq) {
  QuantizeOptions o = Options("q8.onnx");
  o.mode = "fp8";
  ir::Model m = Quantize(o);
  EXPECT_EQ(m.default_opset(), 19);
  const ir::Node* adq = Producer(m, Find(m, "fc")->inputs[0]);
  ASSERT_NE(adq, nullptr);
  EXPECT_EQ(m.graph.initializers.at(adq->inputs[2]).dtype(), DType::kFloat8E4M3FN);
  Tensor x = testing::QuantTinyWeights({1, 3, 8, 8}, 11);
  auto session = rt::Session::Create(m, backends::DefaultRegistry());
  ASSERT_TRUE(session.ok()) << session.status().message();
  auto ours = (*session)->Run({{"x", x}});
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  // ORT without graph optimizations (Q/DQ run as written). Its optimized run is not the oracle
  // here: ORT 1.x's QDQ optimizer rewrites this float8 graph into something that computes other
  // values (in our runs max abs 12 on z and 42 on g, while a lone MatMul or Conv agrees exactly).
  ASSERT_TRUE(io::WriteNpy(dir_ / "x.npy", x).ok());
  auto r = testing::RunProgram("python3", {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/ort_run_levels.py", o.out,
                                           "--input", "x=" + (dir_ / "x.npy").string(), "--out-dir",
                                           (dir_ / "ort").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* out : {"y", "z", "g"}) {
    auto want = io::ReadNpy(dir_ / "ort" / "noopt" / (std::string(out) + ".npy"));
    ASSERT_TRUE(want.ok()) << out;
    auto d = testing::CompareTensors(*want, ours->at(out));
    EXPECT_LT(d.max_abs, 1e-3) << out << ": " << d.str();
  }
}

TEST_F(QdqStructure, ReportNamesScalesAndExclusions) {
  QuantizeOptions o = Options("q.onnx");
  o.report = (dir_ / "r.json").string();
  o.exclude = {"skip"};
  ASSERT_TRUE(quantize(o).ok());
  std::ifstream f(o.report);
  auto j = nlohmann::json::parse(f);
  std::map<std::string, std::string> reasons;
  for (const auto& e : j["excluded"]) reasons[e["node"]] = e["reason"];
  EXPECT_NE(reasons["fc_skip"].find("--exclude 'skip'"), std::string::npos);
  EXPECT_NE(reasons["attn"].find("both inputs are activations"), std::string::npos);
  int acts = 0;
  for (const auto& t : j["tensors"]) {
    EXPECT_TRUE(t.contains("sqnr_db")) << t["name"];
    if (t["kind"] == "activation") {
      ++acts;
      EXPECT_GT(t["scale"].get<double>(), 0);
      EXPECT_GT(t["sqnr_db"].get<double>(), 20) << t["name"];  // 8 bits on N(0,1)-driven data
    }
  }
  EXPECT_EQ(acts, 3);  // x, f, m2
}

}  // namespace
}  // namespace samq
