// The fixtures' SAM encoders and the SAM-1 decoder, quantized by `samq quantize` with real
// calibration photos (coco-tiny), then run by ONNX Runtime and by samq on the same QDQ file.
// Checks: ORT loads and runs it; samq agrees with ORT; every node the report lists as quantized
// reads both inputs through DequantizeLinear. Also printed (not tuned to: the weights are random):
// the quantized-vs-FP32 SQNR against the fixture's PyTorch reference outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "backends/registry.h"
#include "io/image.h"
#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "sam/family.h"
#include "sam/preprocess.h"
#include "support/compare.h"
#include "support/fixtures.h"
#include "support/run_cli.h"

namespace samq {
namespace {

namespace fs = std::filesystem;

struct Agreement {
  double cosine = 0, max_abs = 0, sqnr_db = 0;
};

// cosine and max |a - b|, and SQNR of `b` against the reference `a`.
Agreement Compare(const Tensor& a, const Tensor& b) {
  Agreement r;
  auto x = a.AsDoubleVector(), y = b.AsDoubleVector();
  if (x.size() != y.size()) return r;
  double xy = 0, xx = 0, yy = 0, noise = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
    noise += (x[i] - y[i]) * (x[i] - y[i]);
    r.max_abs = std::max(r.max_abs, std::fabs(x[i] - y[i]));
  }
  r.cosine = xy / std::sqrt(xx * yy + 1e-30);
  r.sqnr_db = 10 * std::log10(xx / (noise + 1e-30));
  return r;
}

// One folder per test process (the pid in the name): two test processes never share one, so
// neither clears the other's files half way through (a remove_all racing another once failed a
// ctest -j2 run with "cannot remove all: No such file or directory").
fs::path TempDir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("samq_quant_models_" + name + "_" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(d, ec);
  fs::create_directories(d);
  return d;
}

// Every node the report lists as quantized reads inputs 0 and 1 through DequantizeLinear.
void ExpectQdqStructure(const ir::Model& m, const fs::path& report) {
  std::ifstream f(report);
  auto j = nlohmann::json::parse(f);
  std::map<std::string, const ir::Node*> producer, by_name;
  for (const auto& n : m.graph.nodes) {
    by_name[n.name] = &n;
    for (const auto& o : n.outputs) producer[o] = &n;
  }
  ASSERT_GT(j["quantized_nodes"].size(), 0u);
  for (const auto& q : j["quantized_nodes"]) {
    const ir::Node* n = by_name[q["node"].get<std::string>()];
    ASSERT_NE(n, nullptr) << q["node"];
    for (int i = 0; i < 2; ++i) {
      const ir::Node* p = producer[n->inputs[i]];
      EXPECT_TRUE(p && p->op_type == "DequantizeLinear") << n->name << " input " << i;
    }
  }
  for (const auto& e : j["excluded"]) {
    const ir::Node* n = by_name[e["node"].get<std::string>()];
    if (!n) continue;  // folded away
    for (const auto& in : n->inputs) {
      const ir::Node* p = producer[in];
      EXPECT_FALSE(p && p->op_type == "DequantizeLinear") << "excluded node " << n->name << " was quantized";
    }
  }
}

std::map<std::string, Tensor> RunSamq(const fs::path& model, const std::map<std::string, Tensor>& feeds, bool fold_qdq) {
  auto m = onnx::LoadModel(model);
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return {};
  rt::SessionOptions so;
  so.threads = 2;
  so.fold_qdq = fold_qdq;
  auto s = rt::Session::Create(std::move(m->model), backends::DefaultRegistry(), so);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return {};
  auto out = (*s)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? *out : std::map<std::string, Tensor>{};
}

// ONNX Runtime's two runs of the file (tests/oracles/ort_run_levels.py): "opt" (integer QDQ
// kernels) and "noopt" (Q/DQ in float, as written).
struct OrtLevels {
  int exit_code = -1;
  std::string err;
  std::map<std::string, Tensor> opt, noopt;
};

OrtLevels RunOrtLevels(const fs::path& model, const std::map<std::string, Tensor>& feeds, const fs::path& dir) {
  OrtLevels r;
  std::vector<std::string> args = {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/ort_run_levels.py", model.string(),
                                   "--out-dir", (dir / "ort").string(), "--threads", "2"};
  for (const auto& [name, t] : feeds) {
    fs::path p = dir / ("feed_" + std::to_string(args.size()) + ".npy");
    EXPECT_TRUE(io::WriteNpy(p, t).ok());
    args.push_back("--input");
    args.push_back(name + "=" + p.string());
  }
  auto res = testing::RunProgram("python3", args);
  r.exit_code = res.exit_code;
  r.err = res.err;
  if (r.exit_code != 0) return r;
  for (const auto& [sub, out] : {std::pair<const char*, std::map<std::string, Tensor>*>{"opt", &r.opt},
                                  std::pair<const char*, std::map<std::string, Tensor>*>{"noopt", &r.noopt}})
    for (const auto& e : fs::directory_iterator(dir / "ort" / sub)) (*out)[e.path().stem().string()] = io::ReadNpy(e.path()).value();
  return r;
}

std::map<std::string, Tensor> RunSamq(const fs::path& model, const std::map<std::string, Tensor>& feeds, bool fold_qdq);

// samq agrees with ORT on the same QDQ file: samq with Q/DQ run as written vs ORT without
// optimizations (same float semantics: only summation order differs, which can flip a rounding
// and so one quantization step), and samq's default (integer kernels) vs ORT's default. Random-
// weight SAM encoders amplify such one-step flips, so the bound is how far ORT's own two runs
// differ (plus a small margin), and never below cosine 0.99.
void ExpectParity(const std::string& what, const fs::path& model, const std::map<std::string, Tensor>& feeds,
                  const std::string& output, const fs::path& dir, std::map<std::string, Tensor>* samq_out) {
  auto ours_ref = RunSamq(model, feeds, /*fold_qdq=*/false);
  auto ours = RunSamq(model, feeds, /*fold_qdq=*/true);
  OrtLevels ort = RunOrtLevels(model, feeds, dir);
  ASSERT_EQ(ort.exit_code, 0) << ort.err;
  ASSERT_TRUE(ours.count(output) && ours_ref.count(output) && ort.opt.count(output) && ort.noopt.count(output)) << output;
  Agreement ort_self = Compare(ort.noopt.at(output), ort.opt.at(output));
  Agreement plain = Compare(ort.noopt.at(output), ours_ref.at(output));
  Agreement fast = Compare(ort.opt.at(output), ours.at(output));
  std::printf("[quant] %s: ORT opt vs ORT noopt cosine %.6f max_abs %.3g | samq(QDQ as written) vs ORT noopt cosine %.6f "
              "max_abs %.3g | samq(default) vs ORT opt cosine %.6f max_abs %.3g\n",
              what.c_str(), ort_self.cosine, ort_self.max_abs, plain.cosine, plain.max_abs, fast.cosine, fast.max_abs);
  const double bound = std::min(0.999, ort_self.cosine - 0.002);
  EXPECT_GT(plain.cosine, std::max(0.99, bound)) << what << ": samq and ORT disagree on the QDQ file (float semantics)";
  EXPECT_GT(fast.cosine, std::max(0.99, bound)) << what << ": samq and ORT disagree on the QDQ file (default kernels)";
  *samq_out = ours;
}

// com.samq `op` nodes of the compiled graph; `erf_only`: only those with the erf GELU.
int CountOps(const rt::Session& s, const std::string& op, bool erf_only = false) {
  int n = 0;
  for (const auto& node : s.model().graph.nodes)
    n += node.op_type == op && node.domain == "com.samq" &&
         (!erf_only || node.attr_string("approximate", "none") == "none");
  return n;
}

// A 2-thread session on `path` with `set` applied to the options (null, failing the test, on error).
std::unique_ptr<rt::Session> SessionOn(const fs::path& path, const std::function<void(rt::SessionOptions&)>& set) {
  auto m = onnx::LoadModel(path);
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return nullptr;
  rt::SessionOptions o;
  o.threads = 2;
  set(o);
  auto s = rt::Session::Create(std::move(m->model), backends::DefaultRegistry(), o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s.value()) : nullptr;
}

// The quantized MBConv blocks (passes/fuse_mbconv's FuseQMBConv): samq's QDQ file leaves the
// GELUs unquantized, so every block the float encoder fuses into MBConv fuses here too, into
// QMBConv, as long as its GELU is the erf form (integer GELU fusions take only that one:
// EfficientViT's tanh-GELU blocks stay three QConv + Gelu pairs); fast.QMBConv repeats the unfused fast kernels' float operations in their order, so
// the outputs are the same bits as with the fusion off.
void ExpectQMBConvFusion(const fs::path& float_model, const fs::path& qdq_model,
                         const std::map<std::string, Tensor>& feeds) {
  auto session = [](const fs::path& path, bool fuse) {
    return SessionOn(path, [fuse](rt::SessionOptions& o) { o.fuse_mbconv = fuse; });
  };
  auto fp32 = session(float_model, true), fused = session(qdq_model, true), plain = session(qdq_model, false);
  ASSERT_TRUE(fp32 && fused && plain);
  EXPECT_EQ(CountOps(*fused, "QMBConv"), CountOps(*fp32, "MBConv", /*erf_only=*/true));
  EXPECT_EQ(CountOps(*plain, "QMBConv"), 0);
  std::printf("[quant] %s: %d QMBConv nodes\n", qdq_model.string().c_str(), CountOps(*fused, "QMBConv"));
  if (CountOps(*fused, "QMBConv") == 0) return;
  auto a = fused->Run(feeds), b = plain->Run(feeds);
  ASSERT_TRUE(a.ok() && b.ok());
  for (const auto& [name, want] : b.value()) {
    const Tensor& got = a.value().at(name);
    ASSERT_EQ(want.shape(), got.shape()) << name;
    EXPECT_EQ(std::memcmp(want.raw(), got.raw(), want.nbytes()), 0) << name << ": fused QMBConv vs unfused";
  }
}

// passes/fuse_requantize: every QMatMulGelu (an MLP's fc1) feeds its fc2 codes instead of
// float32. The oneDNN epilogue repeats the float operations of the unfused path before the very
// QuantizeLinear the reader would do (tests/ops/test_qmatmul_requantize), so the outputs are the
// same bits.
void ExpectRequantizeFusion(const fs::path& qdq_model, const std::map<std::string, Tensor>& feeds) {
  auto session = [&](bool fuse) {
    return SessionOn(qdq_model, [fuse](rt::SessionOptions& o) { o.fuse_requantize = fuse; });
  };
  auto requantizing = [](const rt::Session& s) {
    int n = 0;
    for (const auto& node : s.model().graph.nodes)
      n += node.domain == "com.samq" && (node.op_type == "QMatMul" || node.op_type == "QMatMulGelu") &&
           node.has_input(7);
    return n;
  };
  auto fused = session(true), plain = session(false);
  ASSERT_TRUE(fused && plain);
  EXPECT_GE(requantizing(*fused), CountOps(*fused, "QMatMulGelu"));
  EXPECT_EQ(requantizing(*plain), 0);
  std::printf("[quant] %s: %d QMatMuls hand codes on\n", qdq_model.string().c_str(), requantizing(*fused));
  // The per-node report (inspect --kernels) says so: every fc1 writes 8-bit codes.
  for (const auto& c : fused->kernel_choices()) {
    if (c.op_type == "QMatMulGelu") {
      EXPECT_TRUE(c.dtypes.ends_with("-> uint8") || c.dtypes.ends_with("-> int8")) << c.node << ": " << c.dtypes;
    }
  }
  if (requantizing(*fused) == 0) return;
  auto a = fused->Run(feeds), b = plain->Run(feeds);
  ASSERT_TRUE(a.ok() && b.ok());
  for (const auto& [name, want] : b.value()) {
    const int64_t differ = testing::CountDiffering(want, a.value().at(name));
    EXPECT_EQ(differ, 0) << name << ": codes handed over vs float32 hand-over";
    std::printf("[quant]   %s: codes vs float hand-over: %lld values differ\n", name.c_str(),
                static_cast<long long>(differ));
  }
}

struct EncoderCase {
  const char* folder;
  sam::Family family;
  int64_t side;
  const char* output;  // compared output (its fixture reference is cases/<output>.npy)
};

class QuantizeEncoder : public ::testing::TestWithParam<EncoderCase> {};

TEST_P(QuantizeEncoder, OrtRunsItAndSamqAgrees) {
  SAMQ_REQUIRE_FIXTURES();
  const EncoderCase& c = GetParam();
  const fs::path fx = testing::FixturesDir() / c.folder;
  const fs::path calib = testing::DataDir() / "coco-tiny" / "train2017";
  SAMQ_REQUIRE_PATH(calib);
  const fs::path dir = TempDir(c.folder);
  auto r = testing::RunCli({"quantize", "--model", (fx / "encoder.onnx").string(), "--out", (dir / "q.onnx").string(),
                            "--calib-dir", calib.string(), "--calib-size", "1", "--threads", "2", "--report",
                            (dir / "report.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("quantized"), std::string::npos) << r.err;  // the stderr summary

  auto loaded = onnx::LoadModel(dir / "q.onnx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectQdqStructure(loaded->model, dir / "report.json");
  {
    // The predictor recognises the family from the compiled graph, where QDQ groups have become
    // com.samq integer ops: detection must still work without --family.
    auto session = rt::Session::Create(loaded->model, backends::DefaultRegistry());
    ASSERT_TRUE(session.ok()) << session.status().message();
    EXPECT_EQ(sam::DetectFamily((*session)->model().graph).family, c.family);
  }

  auto image = io::ReadImage(testing::FixturesDir() / "images" / "truck.jpg");
  ASSERT_TRUE(image.ok());
  auto pre = sam::PreprocessImage(*image, c.family, c.side);
  ASSERT_TRUE(pre.ok()) << pre.status().message();
  std::map<std::string, Tensor> feeds = {{"image", pre->image}};
  std::map<std::string, Tensor> ours;
  ExpectParity(c.folder, dir / "q.onnx", feeds, c.output, dir, &ours);
  ExpectQMBConvFusion(fx / "encoder.onnx", dir / "q.onnx", feeds);
  ExpectRequantizeFusion(dir / "q.onnx", feeds);
  ASSERT_TRUE(ours.count(c.output));
  auto ref = io::ReadNpy(fx / "cases" / (std::string(c.output) + ".npy"));
  ASSERT_TRUE(ref.ok());
  Agreement vs_fp32 = Compare(*ref, ours.at(c.output));
  std::printf("[quant] %s: QDQ (samq) vs FP32 PyTorch reference: SQNR %.1f dB, cosine %.4f\n", c.folder, vs_fp32.sqnr_db,
              vs_fp32.cosine);
  ::testing::Test::RecordProperty("sqnr_vs_fp32_db", std::to_string(vs_fp32.sqnr_db));
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, QuantizeEncoder,
                         ::testing::Values(EncoderCase{"sam-vit-mini", sam::Family::kSam, 1024, "image_embeddings"},
                                           EncoderCase{"mobilesam", sam::Family::kMobileSam, 1024, "image_embeddings"},
                                           EncoderCase{"efficientvit-sam-mini", sam::Family::kEfficientVitSam, 512,
                                                       "image_embeddings"},
                                           EncoderCase{"sam2-mini", sam::Family::kSam2, 1024, "image_embed"}),
                         [](const auto& info) {
                           std::string n = info.param.folder;
                           for (char& ch : n) if (ch == '-') ch = '_';
                           return n;
                         });

// The SAM-1 decoder, calibrated through the sam-vit-mini encoder with clicks and boxes, then run
// on the fixture's recorded decoder call.
TEST(QuantizeDecoder, Sam1DecoderOrtRunsItAndSamqAgrees) {
  SAMQ_REQUIRE_FIXTURES();
  const fs::path fx = testing::FixturesDir();
  const fs::path calib = testing::DataDir() / "coco-tiny" / "train2017";
  SAMQ_REQUIRE_PATH(calib);
  const fs::path dir = TempDir("decoder");
  auto r = testing::RunCli({"quantize", "--model", (fx / "sam1-decoder" / "decoder.onnx").string(), "--encoder",
                            (fx / "sam-vit-mini" / "encoder.onnx").string(), "--out", (dir / "q.onnx").string(),
                            "--calib-dir", calib.string(), "--calib-size", "1", "--decoder-grid", "1", "--threads", "2",
                            "--report", (dir / "report.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto loaded = onnx::LoadModel(dir / "q.onnx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectQdqStructure(loaded->model, dir / "report.json");

  const fs::path cases = fx / "sam-vit-mini" / "cases";
  std::map<std::string, Tensor> feeds;
  feeds["image_embeddings"] = io::ReadNpy(cases / "image_embeddings.npy").value();
  for (const char* in : {"point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"})
    feeds[in] = io::ReadNpy(cases / (std::string("decoder_in_") + in + ".npy")).value();
  for (const char* out : {"low_res_masks", "iou_predictions"}) {
    std::map<std::string, Tensor> ours;
    ExpectParity(std::string("sam1-decoder ") + out, dir / "q.onnx", feeds, out, dir, &ours);
    ASSERT_TRUE(ours.count(out));
    auto ref = io::ReadNpy(cases / (std::string("decoder_out_") + out + ".npy"));
    ASSERT_TRUE(ref.ok());
    Agreement vs_fp32 = Compare(*ref, ours.at(out));
    std::printf("[quant] sam1-decoder %s: QDQ (samq) vs FP32 reference: SQNR %.1f dB\n", out, vs_fp32.sqnr_db);
  }
  fs::remove_all(dir);
}

// --quantize-attention on real encoders: the attention MatMuls (Q x Kᵀ, P x V, inputs that only
// exist when the session leaves attention unfused during calibration) are quantized too, nothing
// is excluded, and ONNX Runtime runs the file. samq still fuses every attention (SAM ViT's and
// Hiera's patterns), with P's quantize-dequantize inside the kernel, and agrees with ONNX Runtime.
// `code_attentions`: how many attentions read Q, K and V as codes straight from their qkv
// projection (passes/fuse_attention_codes: not SAM ViT's, whose rel-pos tables need float Q;
// -1: not checked).
void ExpectAttentionQuantized(const char* folder, sam::Family family, const char* output, int code_attentions) {
  SCOPED_TRACE(folder);
  const fs::path model = testing::FixturesDir() / folder / "encoder.onnx";
  const fs::path calib = testing::DataDir() / "coco-tiny" / "train2017";
  SAMQ_REQUIRE_PATH(calib);
  const fs::path dir = TempDir(std::string("attention-") + folder);
  auto r = testing::RunCli({"quantize", "--model", model.string(), "--out", (dir / "q.onnx").string(), "--calib-dir",
                            calib.string(), "--calib-size", "1", "--threads", "2", "--quantize-attention",
                            "--report", (dir / "report.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream f(dir / "report.json");
  auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j["excluded"].size(), 0u) << j["excluded"].dump();
  auto original = onnx::LoadModel(model);
  ASSERT_TRUE(original.ok());
  int softmaxes = 0;
  for (const auto& n : original->model.graph.nodes) softmaxes += n.op_type == "Softmax";
  int attention_matmuls = 0;
  for (const auto& q : j["quantized_nodes"]) {
    const std::string name = q["node"].get<std::string>();
    attention_matmuls += name.find("/attn/MatMul") != std::string::npos;
  }
  EXPECT_EQ(attention_matmuls, 2 * softmaxes);  // Q x Kᵀ and P x V of every block
  auto loaded = onnx::LoadModel(dir / "q.onnx");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectQdqStructure(loaded->model, dir / "report.json");
  {
    auto session = rt::Session::Create(loaded->model, backends::DefaultRegistry());
    ASSERT_TRUE(session.ok()) << session.status().message();
    int quantized_attentions = 0, softmaxes_left = 0, einsums_left = 0, reading_codes = 0;
    std::set<std::string> code_outputs;  // outputs of QMatMuls that requantize
    for (const auto& n : (*session)->model().graph.nodes)
      if (n.op_type == "QMatMul" && n.inputs.size() == 8) code_outputs.insert(n.outputs[0]);
    for (const auto& n : (*session)->model().graph.nodes) {
      reading_codes += n.op_type == "Attention" && code_outputs.count(n.inputs[0]) > 0;
      einsums_left += n.op_type == "Einsum";  // SAM ViT's rel-pos terms: computed inside (power-of-two scale)
      // P's and Q's, K's, V's QuantDequants all moved in (the integer attention).
      quantized_attentions += n.op_type == "Attention" && n.inputs.size() == 16 && !n.inputs[8].empty() &&
                              !n.inputs[10].empty();
      softmaxes_left += n.op_type == "Softmax";
    }
    EXPECT_EQ(quantized_attentions, softmaxes);
    if (code_attentions >= 0) {
      EXPECT_EQ(reading_codes, code_attentions);
    }
    std::printf("[quant] %s --quantize-attention: %d of %d attentions read codes\n", folder, reading_codes, softmaxes);
    EXPECT_EQ(softmaxes_left, 0);
    EXPECT_EQ(einsums_left, 0);
    int integer_kernels = 0;  // the per-node report names the kernel that multiplies the codes
    for (const auto& choice : (*session)->kernel_choices()) integer_kernels += choice.kernel == "fast.attention_u8s8";
    EXPECT_EQ(integer_kernels, softmaxes);
  }
  auto image = io::ReadImage(testing::FixturesDir() / "images" / "truck.jpg");
  ASSERT_TRUE(image.ok());
  auto pre = sam::PreprocessImage(*image, family, 1024);
  ASSERT_TRUE(pre.ok()) << pre.status().message();
  std::map<std::string, Tensor> ours;
  ExpectParity(std::string(folder) + " --quantize-attention", dir / "q.onnx", {{"image", pre->image}}, output, dir,
               &ours);
  fs::remove_all(dir);
}

TEST(QuantizeAttention, EveryAttentionMatMulIsQuantizedAndRunsFused) {
  SAMQ_REQUIRE_FIXTURES();
  ExpectAttentionQuantized("sam2-mini", sam::Family::kSam2, "image_embed", -1);
  ExpectAttentionQuantized("sam-vit-mini", sam::Family::kSam, "image_embeddings", 0);
  // TinyViT: 10 windowed attentions, each reading its qkv projection's codes.
  ExpectAttentionQuantized("mobilesam", sam::Family::kMobileSam, "image_embeddings", 10);
}

// Quantizing twice gives the same bytes (calibration, scales and export are deterministic).
TEST(QuantizeDeterminism, SameBytesTwice) {
  SAMQ_REQUIRE_FIXTURES();
  const fs::path model = testing::FixturesDir() / "efficientvit-sam-mini" / "encoder.onnx";
  const fs::path calib = testing::DataDir() / "coco-tiny" / "train2017";
  SAMQ_REQUIRE_PATH(calib);
  const fs::path dir = TempDir("determinism");
  for (const char* out : {"a.onnx", "b.onnx"}) {
    auto r = testing::RunCli({"quantize", "--model", model.string(), "--out", (dir / out).string(), "--calib-dir",
                              calib.string(), "--calib-size", "1", "--weights", "dq",
                              "--threads", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto read = [](const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string a = read(dir / "a.onnx"), b = read(dir / "b.onnx");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "two runs wrote different bytes";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace samq
