// samq synth-weights GRAPH.onnx OUT.onnx [--seed S]
//
// The full-size fixture graphs ship without their external weight file. This fills every
// initializer whose data is missing with seeded random values at a PyTorch-like scale, chosen
// from how the tensor is used, so the model runs with realistic activations (no NaN/Inf blow-up)
// and can be benchmarked. The result is a complete, self-contained ONNX file.
#include <cmath>
#include <iostream>
#include <random>
#include <set>

#include "commands.h"
#include "onnx/export.h"
#include "onnx/import.h"

namespace samq::cli {
namespace {

struct SynthArgs {
  std::string graph, out;
  uint64_t seed = 0;
};

enum class Use { kOther, kMatMulB, kConvW, kGemmB, kGemmBT, kBias, kNormScale, kNormBias };

// How the first consumer uses the tensor decides the distribution.
Use classify(const ir::Graph& g, const std::string& name, const Tensor& t) {
  for (const auto& n : g.nodes) {
    for (int i = 0; i < n.num_inputs(); ++i) {
      if (n.inputs[i] != name) continue;
      const std::string& op = n.op_type;
      if (op == "MatMul" && i == 1 && t.rank() >= 2) return Use::kMatMulB;
      if ((op == "Conv" || op == "ConvTranspose") && i == 1) return Use::kConvW;
      if ((op == "Conv" || op == "ConvTranspose") && i == 2) return Use::kBias;
      if (op == "Gemm" && i == 1) return n.attr_int("transB", 0) ? Use::kGemmBT : Use::kGemmB;
      if (op == "Gemm" && i == 2) return Use::kBias;
      if ((op == "LayerNormalization" || op == "BatchNormalization" ||
           op == "InstanceNormalization") && i == 1)
        return Use::kNormScale;
      if ((op == "LayerNormalization" || op == "InstanceNormalization") && i == 2) return Use::kNormBias;
      if (op == "Mul" && t.rank() == 1) return Use::kNormScale;  // LayerNorm written as Mul/Add
      if (op == "Add" && t.rank() == 1) return Use::kBias;
    }
  }
  return Use::kOther;
}

Status RunSynth(const SynthArgs& a) {
  onnx::ImportOptions io;
  io.load_external_data = false;
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(a.graph, io));
  if (imported.missing_external.empty())
    return Status::UserF("{}: every initializer already has data; nothing to synthesize", a.graph);
  ir::Model& m = imported.model;
  std::mt19937_64 rng(a.seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::set<std::string> missing(imported.missing_external.begin(), imported.missing_external.end());
  int64_t filled = 0;
  for (const auto& name : imported.missing_external) {  // sorted order: deterministic per seed
    Tensor& t = m.graph.initializers.at(name);
    if (!dtype_is_float(t.dtype()) || t.dtype() != DType::kFloat32)
      return Status::UserF("{}: initializer '{}' is {}; synth-weights fills float32 only", a.graph,
                           name, dtype_name(t.dtype()));
    Use use = classify(m.graph, name, t);
    // Kaiming-uniform bound 1/sqrt(fan_in), as torch.nn.Linear/Conv initialize weights.
    int64_t fan_in = 1;
    switch (use) {
      case Use::kMatMulB: fan_in = t.dim(-2); break;
      case Use::kGemmB: fan_in = t.dim(0); break;
      case Use::kGemmBT: fan_in = t.dim(1); break;
      case Use::kConvW:
        for (int64_t d = 1; d < t.rank(); ++d) fan_in *= t.dim(d);
        break;
      default: break;
    }
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      double v;
      switch (use) {
        case Use::kMatMulB: case Use::kGemmB: case Use::kGemmBT: case Use::kConvW:
          v = unit(rng) / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
          break;
        case Use::kBias: case Use::kNormBias: v = 0.02 * unit(rng); break;
        case Use::kNormScale: v = 1.0 + 0.1 * unit(rng); break;
        default: v = 0.02 * normal(rng); break;  // embeddings, relative positions
      }
      p[i] = static_cast<float>(v);
    }
    filled += t.numel();
  }
  m.producer_name = "samq synth-weights";
  onnx::ExportOptions eo;
  SAMQ_RETURN_IF_ERROR(onnx::SaveModel(m, a.out, eo));
  std::cout << "filled " << imported.missing_external.size() << " initializers (" << filled
            << " values, seed " << a.seed << ") -> " << a.out << "\n";
  return Status::Ok();
}

}  // namespace

void AddSynthWeightsCommand(CLI::App& root, ActionMap& actions) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = root.add_subcommand("synth-weights", "Fill a weight-less graph with seeded random weights");
  cmd->add_option("graph", args->graph, "ONNX graph whose external weight file is absent")->required();
  cmd->add_option("out", args->out, "Complete ONNX model to write")->required();
  cmd->add_option("--seed", args->seed, "Random seed (default 0)");
  actions[cmd] = [args] { return RunSynth(*args); };
}

}  // namespace samq::cli
