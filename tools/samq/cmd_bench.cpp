// samq bench MODEL.onnx [--input NAME=SHAPE|FILE.npy ...] [--runs K] [--warmup W] [--threads N]
//                       [--seed S] [--profile] [--profile-top T] [--json]
//
// Measures one model the way a user runs it: load time (import + Session::Create, which includes
// kernel selection and weight prepacking) and the first run are reported on their own, because
// they are paid once and are not what steady-state latency means. Then W untimed warmup runs and
// K timed runs give min / median / p90 latency and throughput. Peak RSS is getrusage's
// ru_maxrss (the high-water mark of the whole process, load included).
//
// Inputs not given are synthesized from the model's declared shapes (seeded, so two invocations
// with the same seed feed the same data): float types ~ N(0, 1), integers uniform in [0, 10),
// uint8 in [0, 255], bool 0/1. Inputs with unknown dims (the SAM decoder's point count, say) must
// be given as NAME=SHAPE or NAME=FILE.npy.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "backends/registry.h"
#include "commands.h"
#include "precision_option.h"
#include "core/float_convert.h"
#include "core/parallel.h"
#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/profiler.h"
#include "runtime/session.h"
#include "samq/version.h"

namespace samq::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string model;
  std::vector<std::string> inputs;
  int runs = 10;
  int warmup = 1;
  int threads = 0;
  uint64_t seed = 0;
  bool profile = false;
  int profile_top = 15;
  bool json = false;
  bool no_fuse_attention = false;
  bool no_fold_attention_layouts = false;
  bool no_fuse_attention_rel_pos = false;
  bool no_fuse_matmul_bias = false;
  bool no_fuse_projected_attention = false;
  bool no_fuse_mbconv = false;
  bool no_fuse_requantize = false;
  bool no_row_gather = false;
  bool no_fuse_residual_add = false;
  bool no_channels_last_depthwise = false;
  bool no_fuse_channels_last_pool = false;
  bool no_integer_attention = false;
  std::string precision = "fp32";
};

// One --input: either a file's data or a shape to fill with seeded random data.
struct InputSpec {
  std::string name;
  std::optional<Tensor> data;
  Shape shape;
  std::string source;  // the file path, or "random"
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

// "1x3x1024x1024" -> {1,3,1024,1024}; "" is not accepted (a scalar input is given as a file).
std::optional<Shape> ParseShape(const std::string& s) {
  Shape shape;
  size_t pos = 0;
  while (true) {
    size_t x = s.find('x', pos);
    std::string part = s.substr(pos, x == std::string::npos ? std::string::npos : x - pos);
    if (part.empty() || part.size() > 12 ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    shape.push_back(std::stoll(part));
    if (x == std::string::npos) break;
    pos = x + 1;
  }
  return shape;
}

Result<InputSpec> ParseInputSpec(const std::string& spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    return Status::UserF("--input '{}': expected NAME=SHAPE (like image=1x3x1024x1024) or NAME=FILE.npy",
                         spec);
  InputSpec in;
  in.name = spec.substr(0, eq);
  std::string value = spec.substr(eq + 1);
  // Only digits and 'x' reads as a shape; anything else is a file name (ReadNpy names it if absent).
  bool looks_like_shape =
      std::all_of(value.begin(), value.end(), [](char c) { return (c >= '0' && c <= '9') || c == 'x'; });
  if (looks_like_shape) {
    auto shape = ParseShape(value);
    if (!shape)
      return Status::UserF("--input '{}': malformed SHAPE '{}' (expected dims like 1x3x1024x1024)", spec,
                           value);
    in.shape = *shape;
    in.source = "random";
    return in;
  }
  SAMQ_ASSIGN_OR_RETURN(Tensor t, io::ReadNpy(value));
  in.shape = t.shape();
  in.data = std::move(t);
  in.source = value;
  return in;
}

// Seeded random data of the input's dtype (see the file comment for the distributions).
Tensor RandomTensor(DType dtype, const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::Zeros(dtype, shape);
  std::mt19937_64 rng(seed);
  const int64_t n = t.numel();
  void* d = t.raw();
  if (dtype == DType::kFloat32) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    float* f = t.data<float>();
    for (int64_t i = 0; i < n; ++i) f[i] = normal(rng);
  } else if (dtype_is_float(dtype)) {
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int64_t i = 0; i < n; ++i) element_from_double(dtype, d, i, normal(rng));
  } else if (dtype == DType::kBool) {
    for (int64_t i = 0; i < n; ++i) element_from_double(dtype, d, i, static_cast<double>(rng() & 1));
  } else if (dtype == DType::kUInt8) {
    for (int64_t i = 0; i < n; ++i) element_from_double(dtype, d, i, static_cast<double>(rng() % 256));
  } else {
    for (int64_t i = 0; i < n; ++i) element_from_double(dtype, d, i, static_cast<double>(rng() % 10));
  }
  return t;
}

// Linear interpolation between order statistics (numpy's default), q in [0, 1].
double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  double pos = q * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos)), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

// Builds the feeds: the user's, then synthesized ones for every input left out.
Result<std::map<std::string, Tensor>> MakeFeeds(const rt::Session& session, std::vector<InputSpec>& given,
                                                uint64_t seed, nlohmann::json& described) {
  std::map<std::string, Tensor> feeds;
  const auto& inputs = session.inputs();
  std::string names;
  for (const auto& v : inputs) names += (names.empty() ? "" : ", ") + v.name;
  for (auto& in : given) {
    auto it =
        std::find_if(inputs.begin(), inputs.end(), [&](const ir::ValueInfo& v) { return v.name == in.name; });
    if (it == inputs.end())
      return Status::UserF("--input '{}': the model has no such input; its inputs are: {}", in.name, names);
    if (feeds.count(in.name)) return Status::UserF("--input '{}' is given twice", in.name);
    if (!in.data) {
      DType dt = it->dtype == DType::kUndefined ? DType::kFloat32 : it->dtype;
      in.data = RandomTensor(dt, in.shape, seed + static_cast<uint64_t>(it - inputs.begin()));
    }
    feeds[in.name] = *in.data;
    described[in.name] = {{"dtype", std::string(dtype_name(in.data->dtype()))},
                          {"shape", in.data->shape()},
                          {"source", in.source}};
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::ValueInfo& v = inputs[i];
    // Graph inputs that are also initializers have a default value: leave them alone.
    if (feeds.count(v.name) || session.model().graph.is_initializer(v.name)) continue;
    bool known =
        v.has_shape && std::all_of(v.dims.begin(), v.dims.end(), [](const ir::Dim& d) { return d.known(); });
    if (!known)
      return Status::UserF("input '{}' has shape {} with unknown dims: give --input {}=SHAPE or {}=FILE.npy",
                           v.name, v.has_shape ? v.shape_str() : "of unknown rank", v.name, v.name);
    Shape shape;
    for (const auto& d : v.dims) shape.push_back(d.value);
    DType dt = v.dtype == DType::kUndefined ? DType::kFloat32 : v.dtype;
    feeds[v.name] = RandomTensor(dt, shape, seed + i);
    described[v.name] = {{"dtype", std::string(dtype_name(dt))}, {"shape", shape}, {"source", "random"}};
  }
  return feeds;
}

void PrintProfile(const rt::ProfileSummary& p, int top) {
  std::cout << fmt::format("profile (mean per run: {:.2f} ms, {:.2f} ms inside nodes):\n", p.run_ms,
                           p.nodes_ms);
  std::cout << fmt::format("  {:>10} {:>6} {:>6}  {}\n", "ms", "%", "nodes", "op [kernel]");
  for (size_t i = 0; i < p.by_op.size() && static_cast<int>(i) < top; ++i)
    std::cout << fmt::format("  {:10.3f} {:6.1f} {:6}  {}\n", p.by_op[i].ms, p.by_op[i].percent,
                             p.by_op[i].count, p.by_op[i].key);
  std::cout << "  slowest nodes:\n";
  for (size_t i = 0; i < p.by_node.size() && static_cast<int>(i) < top; ++i)
    std::cout << fmt::format("  {:10.3f} {:6.1f}         {}\n", p.by_node[i].ms, p.by_node[i].percent,
                             p.by_node[i].key);
}

nlohmann::json ProfileJson(const rt::ProfileSummary& p, int top) {
  auto rows = [top](const std::vector<rt::ProfileRow>& rs, const char* key) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < rs.size() && static_cast<int>(i) < top; ++i)
      out.push_back({{key, rs[i].key}, {"ms", rs[i].ms}, {"percent", rs[i].percent}, {"count", rs[i].count}});
    return out;
  };
  return {{"run_ms", p.run_ms},
          {"nodes_ms", p.nodes_ms},
          {"by_op", rows(p.by_op, "op")},
          {"by_node", rows(p.by_node, "node")}};
}

Status RunBench(const BenchArgs& a) {
  if (a.runs < 1) return Status::UserF("--runs must be at least 1 (got {})", a.runs);
  if (a.warmup < 0) return Status::UserF("--warmup must be 0 or more (got {})", a.warmup);
  // Inputs first: a bad spec or a missing file fails before the (possibly long) load.
  std::vector<InputSpec> given;
  for (const auto& spec : a.inputs) {
    SAMQ_ASSIGN_OR_RETURN(InputSpec in, ParseInputSpec(spec));
    given.push_back(std::move(in));
  }

  auto t_load = Clock::now();
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(a.model));
  const double import_ms = ms_since(t_load);
  rt::SessionOptions so;
  so.threads = a.threads;
  so.precision = ToComputePrecision(a.precision);
  so.release_packed_weights = true;  // measure memory as a user runs the model
  so.fuse_sam_attention = !a.no_fuse_attention;
  so.fold_attention_layouts = !a.no_fold_attention_layouts;
  so.fuse_attention_rel_pos = !a.no_fuse_attention_rel_pos;
  so.fuse_matmul_bias = !a.no_fuse_matmul_bias;
  so.fuse_projected_attention = !a.no_fuse_projected_attention;
  so.fuse_mbconv = !a.no_fuse_mbconv;
  so.fuse_requantize = !a.no_fuse_requantize;
  so.fuse_row_gather = !a.no_row_gather;
  so.fuse_residual_add = !a.no_fuse_residual_add;
  so.fuse_channels_last_depthwise = !a.no_channels_last_depthwise;
  so.fuse_channels_last_pool = !a.no_fuse_channels_last_pool;
  so.integer_attention = !a.no_integer_attention;
  SAMQ_ASSIGN_OR_RETURN(auto session,
                        rt::Session::Create(std::move(imported.model), backends::DefaultRegistry(), so));
  const double load_ms = ms_since(t_load);
  const double rss_after_load = peak_rss_mb();
  const int threads = num_threads();

  nlohmann::json inputs_json = nlohmann::json::object();
  SAMQ_ASSIGN_OR_RETURN(auto feeds, MakeFeeds(*session, given, a.seed, inputs_json));

  auto t_first = Clock::now();
  SAMQ_RETURN_IF_ERROR(session->Run(feeds).status());
  const double first_ms = ms_since(t_first);
  for (int i = 0; i < a.warmup; ++i) SAMQ_RETURN_IF_ERROR(session->Run(feeds).status());

  // Two clock reads per node: far below the noise of a run, so the profiled runs are the timed ones.
  rt::Profiler profiler;
  if (a.profile) session->set_profiler(&profiler);
  std::vector<double> samples;
  auto t_all = Clock::now();
  for (int i = 0; i < a.runs; ++i) {
    auto t0 = Clock::now();
    auto out = session->Run(feeds);
    samples.push_back(ms_since(t0));  // outputs are freed after the sample, as a caller would
    SAMQ_RETURN_IF_ERROR(out.status());
  }
  const double all_ms = ms_since(t_all);
  session->set_profiler(nullptr);

  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double s : samples) mean += s / static_cast<double>(samples.size());
  const double throughput = 1000.0 * a.runs / all_ms;
  const double rss = peak_rss_mb();

  if (a.json) {
    nlohmann::json j = {{"model", a.model},
                        {"samq_version", version()},
                        {"cpu", cpu_model()},
                        {"threads", threads},
                        {"precision", a.precision},
                        {"runs", a.runs},
                        {"warmup", a.warmup},
                        {"seed", a.seed},
                        {"inputs", inputs_json},
                        {"import_ms", import_ms},
                        {"load_ms", load_ms},
                        {"first_run_ms", first_ms},
                        {"min_ms", sorted.front()},
                        {"p10_ms", Quantile(sorted, 0.1)},
                        {"median_ms", Quantile(sorted, 0.5)},
                        {"p90_ms", Quantile(sorted, 0.9)},
                        {"max_ms", sorted.back()},
                        {"mean_ms", mean},
                        {"throughput_per_s", throughput},
                        {"peak_rss_mb", rss},
                        {"peak_rss_after_load_mb", rss_after_load},
                        {"runs_ms", samples}};
    if (a.profile)
      j["profile"] = ProfileJson(rt::SummarizeProfile(profiler, session->kernel_choices()), a.profile_top);
    std::cout << j.dump() << "\n";
    return Status::Ok();
  }
  std::cout << fmt::format("model:      {}\n", a.model);
  std::cout << fmt::format("threads:    {}   runs: {} timed (+1 first, {} warmup)   cpu: {}\n", threads,
                           a.runs, a.warmup, cpu_model());
  for (const auto& [name, d] : inputs_json.items())
    std::cout << fmt::format("input:      {} {} [{}] from {}\n", name, d["dtype"].get<std::string>(),
                             shape_str(d["shape"].get<Shape>()), d["source"].get<std::string>());
  std::cout << fmt::format("load:       {:.1f} ms (import {:.1f} ms, compile {:.1f} ms)\n", load_ms,
                           import_ms, load_ms - import_ms);
  std::cout << fmt::format("first run:  {:.2f} ms\n", first_ms);
  std::cout << fmt::format("latency:    min {:.2f} ms   median {:.2f} ms   p90 {:.2f} ms   (max {:.2f} ms)\n",
                           sorted.front(), Quantile(sorted, 0.5), Quantile(sorted, 0.9), sorted.back());
  std::cout << fmt::format("throughput: {:.2f} runs/s\n", throughput);
  std::cout << fmt::format("peak RSS:   {:.1f} MB (after load {:.1f} MB)\n", rss, rss_after_load);
  if (a.profile) PrintProfile(rt::SummarizeProfile(profiler, session->kernel_choices()), a.profile_top);
  return Status::Ok();
}

}  // namespace

void AddBenchCommand(CLI::App& root, ActionMap& actions) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd =
      root.add_subcommand("bench", "Measure load time, latency, throughput and peak memory of a model");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_option("--input", args->inputs,
                  "NAME=SHAPE (seeded random data, like image=1x3x1024x1024) or NAME=FILE.npy (repeatable); "
                  "inputs left out are synthesized when their shape is fully known");
  cmd->add_option("--runs", args->runs, "Timed runs (default 10)");
  cmd->add_option("--warmup", args->warmup, "Untimed runs after the first run (default 1)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", args->seed, "Seed of the synthesized inputs (default 0)");
  cmd->add_flag("--profile", args->profile,
                "Time every node during the timed runs; print the top ops and nodes");
  cmd->add_option("--profile-top", args->profile_top, "Rows in each profile table (default 15)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--json", args->json, "Print one JSON object on stdout");
  cmd->add_flag("--no-fuse-attention", args->no_fuse_attention,
                "Keep attention unfused (A/B timing of passes/fuse_sam_attention)");
  cmd->add_flag("--no-fold-attention-layouts", args->no_fold_attention_layouts,
                "Keep the layout ops around each attention (A/B timing of passes/fold_attention_layouts)");
  cmd->add_flag("--no-fuse-attention-rel-pos", args->no_fuse_attention_rel_pos,
                "Keep SAM ViT's rel-pos Einsums outside the attention (A/B timing of passes/fuse_attention_rel_pos)");
  cmd->add_flag("--no-fuse-channels-last-pool", args->no_fuse_channels_last_pool,
                "Keep the Transposes around channels-last MaxPools (A/B timing of passes/fuse_channels_last_pool)");
  cmd->add_flag("--no-integer-attention", args->no_integer_attention,
                "Keep a quantized attention's Q/K/V QuantDequants outside it: float products (A/B timing)");
  cmd->add_flag("--no-fuse-matmul-bias", args->no_fuse_matmul_bias,
                "Keep MatMul, bias Add and Gelu separate (A/B timing of passes/fuse_matmul_bias)");
  cmd->add_flag("--no-fuse-projected-attention", args->no_fuse_projected_attention,
                "Keep the decoder's attention projections separate (A/B timing of "
                "passes/fuse_projected_attention)");
  cmd->add_flag("--no-fuse-mbconv", args->no_fuse_mbconv,
                "Keep expand / depthwise / project convs separate (A/B timing of passes/fuse_mbconv: MBConv and QMBConv)");
  cmd->add_flag("--no-fuse-requantize", args->no_fuse_requantize,
                "Quantized MLPs, attentions and conv pairs: fc1 hands fc2, qkv the integer attention, and a dense QConv the next one float32, not codes (A/B timing of passes/fuse_requantize, fuse_attention_codes and fuse_qconv_pair)");
  cmd->add_flag("--no-row-gather", args->no_row_gather,
                "Keep layout chains (window partition/unpartition) as separate nodes (A/B timing of passes/fuse_row_gather)");
  cmd->add_flag("--no-fuse-residual-add", args->no_fuse_residual_add,
                "Keep residual Adds separate from the window unpartition (RowGather) before them (A/B timing of passes/fuse_residual_add)");
  cmd->add_flag("--no-channels-last-depthwise", args->no_channels_last_depthwise,
                "Keep TinyViT's local convs NCHW between two transposes (A/B timing of passes/fuse_channels_last_depthwise)");
  AddPrecisionOption(cmd, &args->precision);
  actions[cmd] = [args] { return RunBench(*args); };
}

}  // namespace samq::cli
