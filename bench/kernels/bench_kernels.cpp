// Kernel microbenchmarks on the real layer shapes of the issue-4 models (Google Benchmark).
//
//   build/bench/bench_kernels [--benchmark_filter=MatMul] [--benchmark_repetitions=5]
//   SAMQ_THREADS=2 build/bench/bench_kernels      (default: all cores, like samq's --threads 0)
//
// Each case builds one ONNX node and runs it the way a Session does: the kernel is the first
// candidate of the default registry that accepts the node (weights marked constant so it may
// prepack them), built once outside the timed loop; each iteration runs it on preallocated
// outputs (a session's buffer pool recycles them the same way). rt::EvaluateNode runs the node
// once first, as a check that the op works on this shape. The label names the chosen kernel.
//
// Counters: GFLOP (shown per second) from the nominal FLOP count of the op (2·M·N·K for matmuls,
// 2·outputs·(C/g)·kh·kw for convs; for the memory-bound ops a nominal count per element, noted at
// each case) and bytes/s of the tensors read and written once.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "core/parallel.h"
#include "runtime/evaluate_node.h"
#include "runtime/kernel.h"
#include "io/image.h"
#include "sam/postprocess.h"
#include "sam/predictor.h"
#include "sam/rle.h"

namespace samq {
namespace {

Tensor RandomNormal(const Shape& shape, uint64_t seed, float scale = 1.0f) {
  Tensor t = Tensor::Zeros(DType::kFloat32, shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = normal(rng);
  return t;
}

ir::Attribute IntAttr(const std::string& name, int64_t v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kInt;
  a.i = v;
  return a;
}

ir::Attribute IntsAttr(const std::string& name, std::vector<int64_t> v) {
  ir::Attribute a;
  a.name = name;
  a.type = ir::AttrType::kInts;
  a.ints = std::move(v);
  return a;
}

// One node with its inputs; `constant[i]` marks weights (what a session would see as initializers).
struct NodeCase {
  ir::Node node;
  std::vector<Tensor> inputs;
  std::vector<bool> constant;
  double flops = 0;  // nominal, per run
};

constexpr int64_t kOpset = 17;  // what the fixture models were exported with

void RunCase(benchmark::State& state, NodeCase c) {
  const rt::OpRegistry& registry = backends::DefaultRegistry();
  std::vector<const Tensor*> ins;
  for (const auto& t : c.inputs) ins.push_back(&t);

  // A correctness-of-setup check through the same path constant folding and the op tests use.
  rt::EvaluateOptions eo;
  eo.inputs_are_constant = false;
  auto first = rt::EvaluateNode(registry, c.node, kOpset, ins, eo);
  if (!first.ok()) {
    state.SkipWithError(first.status().message().c_str());
    return;
  }
  std::vector<Tensor> outputs = std::move(*first);

  // The kernel a session would choose, built once.
  const rt::OpSchema* schema = registry.Find(c.node.domain, c.node.op_type);
  std::vector<rt::TensorType> types;
  std::vector<const Tensor*> const_inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    types.push_back(rt::TensorType::Of(c.inputs[i]));
    const_inputs.push_back(c.constant[i] ? &c.inputs[i] : nullptr);
  }
  rt::InferContext ictx(c.node, kOpset, types, ins);
  if (auto s = schema->infer(ictx); !s.ok()) {
    state.SkipWithError(s.message().c_str());
    return;
  }
  rt::KernelBuildInfo info{c.node, kOpset, types, const_inputs};
  std::unique_ptr<rt::Kernel> kernel;
  std::string chosen;
  for (const auto& cand : schema->kernels) {
    std::string why;
    kernel = cand.make(info, &why);
    if (kernel) {
      chosen = cand.name;
      break;
    }
  }
  if (!kernel) {
    state.SkipWithError("no kernel accepts the node");
    return;
  }
  auto reuse = [&outputs](DType d, const Shape& s, bool) {
    for (const auto& t : outputs)
      if (t.defined() && t.dtype() == d && t.shape() == s) return t;
    return Tensor::Zeros(d, s);
  };

  for (auto _ : state) {
    rt::KernelContext kctx(c.node, kOpset, ins, ictx.output_types(), reuse);
    auto s = kernel->Run(kctx);
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      break;
    }
    benchmark::DoNotOptimize(kctx.outputs().data());
    benchmark::ClobberMemory();
  }

  int64_t bytes = 0;
  for (const auto& t : c.inputs) bytes += static_cast<int64_t>(t.nbytes());
  for (const auto& t : outputs) bytes += t.defined() ? static_cast<int64_t>(t.nbytes()) : 0;
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["GFLOP"] = benchmark::Counter(c.flops * 1e-9 * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
  state.SetLabel(chosen);
}

// --- cases ---------------------------------------------------------------------------------------

// [M,K] x [K,N] with a constant weight: the Linear layers (tokens x features).
void BM_MatMul(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  NodeCase c{{"matmul", "MatMul", "", {"a", "b"}, {"y"}, {}, ""},
             {RandomNormal({m, k}, 1), RandomNormal({k, n}, 2, 0.03f)},
             {false, true},
             2.0 * m * k * n};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_MatMul)
    ->ArgNames({"M", "K", "N"})
    ->Args({4096, 768, 3072})  // SAM ViT-B MLP fc1 (64x64 tokens, 768 -> 3072)
    ->Args({4096, 3072, 768})  // SAM ViT-B MLP fc2
    ->Args({4096, 768, 2304})  // SAM ViT-B fused QKV projection
    ->Args({4096, 256, 256})   // SAM decoder projections on the 64x64x256 image embedding
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// [B,M,K] x [B,K,N], both runtime tensors: attention scores and attention x values.
void BM_BatchedMatMul(benchmark::State& state) {
  const int64_t b = state.range(0), m = state.range(1), k = state.range(2), n = state.range(3);
  NodeCase c{{"bmm", "MatMul", "", {"a", "b"}, {"y"}, {}, ""},
             {RandomNormal({b, m, k}, 3), RandomNormal({b, k, n}, 4)},
             {false, false},
             2.0 * b * m * k * n};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_BatchedMatMul)
    ->ArgNames({"B", "M", "K", "N"})
    ->Args({300, 196, 64, 196})   // SAM ViT-B windowed attention Q·Kᵀ: 25 windows of 14x14 x 12 heads
    ->Args({300, 196, 196, 64})   // ... and softmax(Q·Kᵀ)·V
    ->Args({12, 4096, 64, 4096})  // SAM ViT-B global attention Q·Kᵀ (805 MB of scores unfused)
    ->Args({64, 64, 64, 256})     // a 64x64x256 attention-sized batch (brief's shape)
    ->Args({8, 4096, 16, 7})      // SAM decoder image-to-token attention scores (8 heads, 7 tokens)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Conv2d with constant weights and bias: args C_in, H, W, C_out, kernel, group.
void BM_Conv(benchmark::State& state) {
  const int64_t cin = state.range(0), h = state.range(1), w = state.range(2), cout = state.range(3),
                ks = state.range(4), group = state.range(5);
  ir::Node node{"conv", "Conv", "", {"x", "w", "b"}, {"y"}, {}, ""};
  node.set_attr(IntsAttr("kernel_shape", {ks, ks}));
  node.set_attr(IntsAttr("pads", {ks / 2, ks / 2, ks / 2, ks / 2}));
  node.set_attr(IntAttr("group", group));
  const double flops = 2.0 * cout * h * w * (cin / group) * ks * ks;  // stride 1, same padding
  NodeCase c{node,
             {RandomNormal({1, cin, h, w}, 5), RandomNormal({cout, cin / group, ks, ks}, 6, 0.05f),
              RandomNormal({cout}, 7, 0.01f)},
             {false, true, true},
             flops};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_Conv)
    ->ArgNames({"Cin", "H", "W", "Cout", "k", "g"})
    ->Args({160, 128, 128, 160, 3, 160})  // TinyViT (MobileSAM) MBConv depthwise 3x3
    ->Args({320, 64, 64, 256, 1, 1})      // MobileSAM/TinyViT neck 1x1 conv 320 -> 256
    ->Args({256, 64, 64, 256, 3, 1})      // SAM neck 3x3 conv 256 -> 256
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// com.samq Attention (fast.Attention), global: args heads, tokens (a square grid), D, rel (1: with
// SAM ViT's decomposed relative-position bias over the grid). Nominal FLOP: the two products.
void BM_Attention(benchmark::State& state) {
  const int64_t heads = state.range(0), n = state.range(1), d = state.range(2), rel = state.range(3);
  const int64_t side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(n))));
  ir::Node node{"attn", "Attention", "com.samq", {"q", "k", "v"}, {"y"}, {}, ""};
  std::vector<Tensor> inputs{RandomNormal({heads, n, d}, 13), RandomNormal({heads, n, d}, 14),
                             RandomNormal({heads, n, d}, 15)};
  if (rel) {
    node.inputs.insert(node.inputs.end(), {"rel_h", "rel_w"});
    inputs.push_back(RandomNormal({heads, side, side, side}, 16));
    inputs.push_back(RandomNormal({heads, side, side, side}, 17));
  }
  ir::Attribute scale;
  scale.name = "scale";
  scale.type = ir::AttrType::kFloat;
  scale.f = 1.0f / std::sqrt(static_cast<float>(d));
  node.set_attr(scale);
  NodeCase c{node, std::move(inputs), std::vector<bool>(node.inputs.size(), false), 4.0 * heads * n * n * d};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_Attention)
    ->ArgNames({"heads", "N", "D", "rel"})
    ->Args({12, 4096, 64, 1})  // SAM ViT-B global block (64x64 tokens, 12 heads)
    ->Args({4, 4096, 96, 0})   // SAM 2.1 hiera-tiny global block (stage 3, 64x64 tokens, 4 heads)
    ->Args({300, 196, 64, 1})  // SAM ViT-B windowed block (25 windows of 14x14 tokens x 12 heads)
    ->Args({300, 196, 64, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// com.samq MBConv (TinyViT's block): args C, H = W, expand ratio, stride, residual (1: R = X and
// the block's last GELU, as MobileSAM's first stage). Nominal FLOP: the three convs.
void BM_MBConv(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1), e = c * state.range(2), s = state.range(3),
                res = state.range(4);
  const int64_t m = res ? c : e, ohw = (hw + 2 - 3) / s + 1;
  ir::Node node{"mbconv", "MBConv", "com.samq", {"x", "w1", "b1", "wd", "bd", "w3", "b3"}, {"y"}, {}, ""};
  node.set_attr(IntsAttr("strides", {s, s}));
  node.set_attr(IntsAttr("pads", {1, 1, 1, 1}));
  std::vector<Tensor> inputs{RandomNormal({1, c, hw, hw}, 18),   RandomNormal({e, c, 1, 1}, 19, 0.1f),
                             RandomNormal({e}, 20, 0.1f),        RandomNormal({e, 1, 3, 3}, 21, 0.3f),
                             RandomNormal({e}, 22, 0.1f),        RandomNormal({m, e, 1, 1}, 23, 0.05f),
                             RandomNormal({m}, 24, 0.1f)};
  std::vector<bool> constant{false, true, true, true, true, true, true};
  if (res) {
    node.inputs.push_back("x");
    inputs.push_back(inputs[0]);
    constant.push_back(false);
    ir::Attribute act;
    act.name = "activation";
    act.type = ir::AttrType::kString;
    act.s = "gelu";
    node.set_attr(act);
  }
  const double flops = 2.0 * e * c * hw * hw + 18.0 * e * ohw * ohw + 2.0 * m * e * ohw * ohw;
  NodeCase nc{node, std::move(inputs), std::move(constant), flops};
  RunCase(state, std::move(nc));
}
BENCHMARK(BM_MBConv)
    ->ArgNames({"C", "HW", "ratio", "stride", "res"})
    ->Args({64, 256, 4, 1, 1})  // MobileSAM layers.0 MBConv block (64 -> 256 -> 64 at 256 x 256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// LayerNormalization over the last axis (opset 17 op): nominal 8 FLOP per element.
void BM_LayerNorm(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  ir::Node node{"ln", "LayerNormalization", "", {"x", "scale", "bias"}, {"y"}, {}, ""};
  node.set_attr(IntAttr("axis", -1));
  NodeCase c{node,
             {RandomNormal({rows, cols}, 8), RandomNormal({cols}, 9), RandomNormal({cols}, 10)},
             {false, true, true},
             8.0 * rows * cols};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_LayerNorm)
    ->ArgNames({"rows", "C"})
    ->Args({4096, 768})  // SAM ViT-B block norm (64x64 tokens)
    ->Args({4096, 256})  // SAM neck / decoder width
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Softmax over the last axis: nominal 5 FLOP per element (max, sub, exp, sum, div).
void BM_Softmax(benchmark::State& state) {
  const int64_t b = state.range(0), n = state.range(1);
  ir::Node node{"softmax", "Softmax", "", {"x"}, {"y"}, {}, ""};
  node.set_attr(IntAttr("axis", -1));
  NodeCase c{node, {RandomNormal({b, n, n}, 11)}, {false}, 5.0 * b * n * n};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_Softmax)
    ->ArgNames({"B", "N"})
    ->Args({12, 196})   // one 14x14 window, 12 heads
    ->Args({300, 196})  // all 25 windows of a SAM ViT-B layer
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Erf, the costly part of the exported exact GELU (x/√2 → Erf → +1 → ·x → ·0.5): nominal 1 FLOP
// per element, so read GFLOP/s as Gelem/s.
void BM_Erf(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  NodeCase c{
      {"erf", "Erf", "", {"x"}, {"y"}, {}, ""}, {RandomNormal({rows, cols}, 12)}, {false}, 1.0 * rows * cols};
  RunCase(state, std::move(c));
}
BENCHMARK(BM_Erf)->ArgNames({"rows", "C"})->Args({4096, 3072})->Unit(benchmark::kMillisecond)->UseRealTime();

// Mask post-processing of one prompt on a 1200x1800 image: 3 candidate 256x256 logit planes
// upsampled to full resolution and thresholded (the per-prompt cost `samq segment` pays).
void BM_PostprocessMasks(benchmark::State& state) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  std::vector<float> logits(3 * 256 * 256);
  for (float& v : logits) v = dist(rng);
  const Tensor low = Tensor::FromVector<float>({1, 3, 256, 256}, logits);
  const sam::MaskGeometry g = sam::GeometryForFamily(sam::Family::kSam, 1200, 1800);
  for (auto _ : state) {
    auto r = sam::PostprocessMasks(low, sam::Family::kSam, g);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_PostprocessMasks)->Unit(benchmark::kMillisecond)->UseRealTime();

// COCO RLE of one 1200x1800 mask made of blobs, encoded and written as a counts string.
void BM_EncodeRle(benchmark::State& state) {
  std::vector<uint8_t> mask(1200 * 1800);
  for (int64_t y = 0; y < 1200; ++y)
    for (int64_t x = 0; x < 1800; ++x) {
      const double d1 = std::hypot(y - 400.0, x - 600.0), d2 = std::hypot(y - 900.0, x - 1300.0);
      mask[y * 1800 + x] = (d1 < 250.0 || d2 < 180.0 || ((x / 37 + y / 53) % 7 == 0)) ? 1 : 0;
    }
  for (auto _ : state) {
    const std::string s = sam::RleToString(sam::EncodeRle(mask.data(), 1200, 1800));
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_EncodeRle)->Unit(benchmark::kMillisecond)->UseRealTime();

// One box prompt end to end as `samq segment` and the C++ predictor run it (issue 4's "decoder per
// prompt including full-resolution masks"): the MobileSAM fixture encoder and the official SAM-1
// decoder, truck.jpg (1800x1200) encoded once outside the timed loop; each iteration is
// Predictor::Predict of one box: the decoder, then upsampling of the returned mask to 1800x1200
// and its threshold. Fixtures from $SAMQ_FIXTURES (default ../shared/fixtures); skipped when
// they are missing. The first call (which creates the decoder's per-shape primitives) is untimed.
void BM_PredictBoxPrompt(benchmark::State& state) {
  const char* env = std::getenv("SAMQ_FIXTURES");
  const std::filesystem::path fx = env ? env : "../shared/fixtures";
  static std::unique_ptr<sam::Predictor> predictor;
  if (!predictor) {
    auto p = sam::Predictor::Create(fx / "mobilesam/encoder.onnx", fx / "sam1-decoder/decoder.onnx");
    auto image = io::ReadImage(fx / "images/truck.jpg");
    if (!p.ok() || !image.ok()) {
      state.SkipWithError(("fixtures not usable under " + fx.string() + " (set SAMQ_FIXTURES)").c_str());
      return;
    }
    predictor = std::move(p).value();
    if (!predictor->SetImage(*image).ok()) {
      state.SkipWithError("SetImage failed");
      return;
    }
  }
  sam::Prompt prompt;
  prompt.boxes = {{425, 600, 700, 875}};
  if (!predictor->Predict(prompt).ok()) {
    state.SkipWithError("Predict failed");
    return;
  }
  for (auto _ : state) {
    auto r = predictor->Predict(prompt);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_PredictBoxPrompt)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

std::string CpuModel() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace
}  // namespace samq

int main(int argc, char** argv) {
  const char* env = std::getenv("SAMQ_THREADS");
  samq::set_num_threads(env ? std::atoi(env) : 0);
  benchmark::AddCustomContext("samq_threads", std::to_string(samq::num_threads()));
  benchmark::AddCustomContext("cpu_model", samq::CpuModel());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
