// samq inspect MODEL.onnx [--json] [--kernels]
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "backends/registry.h"
#include "commands.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "sam/family.h"

namespace samq::cli {
namespace {

struct InspectArgs {
  std::string model;
  bool json = false;
  bool kernels = false;
};

nlohmann::json value_json(const ir::ValueInfo& v) {
  nlohmann::json dims = nlohmann::json::array();
  for (const auto& d : v.dims) {
    if (d.known()) dims.push_back(d.value);
    else dims.push_back(d.param.empty() ? "?" : d.param);
  }
  return {{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.has_shape ? dims : nullptr}};
}

// How many quantized MatMul/Gemm/Conv nodes (those reading a DequantizeLinear) run on an integer
// kernel, and the QDQ groups the folding pass left as they were, with the reason.
nlohmann::json IntegerKernelSummary(const rt::Session& session) {
  const auto& rep = session.qdq_fold_report();
  int integer = 0;
  for (const auto& c : session.kernel_choices()) integer += rt::IntegerOpsRun(c);
  return {{"integer", integer}, {"quantized_ops", rep.quantized_ops}, {"folded", rep.folded},
          {"fused_bias_adds", rep.fused_bias_adds}, {"quant_dequant_pairs", rep.quant_dequant_pairs},
          {"unfolded", rep.unfolded}};
}

Status RunInspect(const InspectArgs& a) {
  onnx::ImportOptions io;
  io.load_external_data = false;  // inspect reports missing weights instead of failing on them
  SAMQ_ASSIGN_OR_RETURN(auto imported, onnx::LoadModel(a.model, io));
  const ir::Model& m = imported.model;
  const ir::Graph& g = m.graph;

  nlohmann::json j;
  j["model"] = a.model;
  j["ir_version"] = m.ir_version;
  nlohmann::json opsets = nlohmann::json::object();
  for (const auto& o : m.opsets) opsets[o.domain.empty() ? "ai.onnx" : o.domain] = o.version;
  j["opsets"] = opsets;
  j["producer"] = m.producer_name + (m.producer_version.empty() ? "" : " " + m.producer_version);
  j["inputs"] = nlohmann::json::array();
  for (const auto* v : g.runtime_inputs()) j["inputs"].push_back(value_json(*v));
  j["outputs"] = nlohmann::json::array();
  for (const auto& v : g.outputs) j["outputs"].push_back(value_json(v));

  std::map<std::string, int> hist;
  bool qdq = false;
  for (const auto& n : g.nodes) {
    hist[(n.domain.empty() ? "" : n.domain + ".") + n.op_type]++;
    if (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear") qdq = true;
  }
  j["nodes"] = g.nodes.size();
  j["op_histogram"] = hist;
  int64_t params = 0;
  std::map<std::string, int64_t> bytes_by_dtype;
  for (const auto& [name, t] : g.initializers) {
    params += t.numel();
    bytes_by_dtype[std::string(dtype_name(t.dtype()))] +=
        static_cast<int64_t>((t.numel() * dtype_file_bits(t.dtype()) + 7) / 8);
  }
  j["parameters"] = params;
  j["weight_bytes_by_dtype"] = bytes_by_dtype;
  j["has_qdq"] = qdq;
  j["missing_external_data"] = imported.missing_external.size();
  auto fam = sam::DetectFamily(g);
  j["family"] = {{"family", sam::family_name(fam.family)}, {"role", sam::role_name(fam.role)},
                 {"reason", fam.reason}};
  auto unsupported = rt::FindUnsupportedNodes(m, backends::DefaultRegistry());
  j["unsupported_nodes"] = unsupported;

  if (a.kernels) {
    if (!unsupported.empty())
      return Status::UserF("{}: cannot choose kernels: {} unsupported node(s)", a.model, unsupported.size());
    SAMQ_ASSIGN_OR_RETURN(auto session, rt::Session::Create(m, backends::DefaultRegistry()));
    nlohmann::json ks = nlohmann::json::array();
    for (const auto& c : session->kernel_choices())
      ks.push_back({{"node", c.node}, {"op", c.op_type}, {"kernel", c.kernel}, {"dtypes", c.dtypes},
                    {"declined", c.declined}});
    j["kernels"] = ks;
    j["integer_kernels"] = IntegerKernelSummary(*session);
  }

  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return Status::Ok();
  }
  std::cout << "model:      " << a.model << "\n";
  std::cout << "ir version: " << m.ir_version << "   opsets: " << opsets.dump() << "   producer: "
            << j["producer"].get<std::string>() << "\n";
  std::cout << "family:     " << sam::family_name(fam.family) << " " << sam::role_name(fam.role)
            << (fam.reason.empty() ? "" : "  (" + fam.reason + ")") << "\n";
  std::cout << "inputs:\n";
  for (const auto* v : g.runtime_inputs())
    std::cout << "  " << v->name << "  " << dtype_name(v->dtype) << "[" << v->shape_str() << "]\n";
  std::cout << "outputs:\n";
  for (const auto& v : g.outputs)
    std::cout << "  " << v.name << "  " << dtype_name(v.dtype) << "[" << v.shape_str() << "]\n";
  std::cout << "nodes:      " << g.nodes.size() << "   QDQ: " << (qdq ? "yes" : "no") << "\n";
  std::cout << "parameters: " << params << "\n";
  for (const auto& [dt, b] : bytes_by_dtype)
    std::cout << "  weights " << dt << ": " << fmt::format("{:.2f} MB", b / 1e6) << "\n";
  if (!imported.missing_external.empty())
    std::cout << "external data missing for " << imported.missing_external.size()
              << " initializer(s) (graph only; `samq synth-weights` makes it runnable)\n";
  std::cout << "ops:\n";
  for (const auto& [op, count] : hist) std::cout << fmt::format("  {:<24}{:>6}\n", op, count);
  if (unsupported.empty()) {
    std::cout << "unsupported ops: none\n";
  } else {
    std::cout << "unsupported ops (" << unsupported.size() << "):\n";
    for (const auto& u : unsupported) std::cout << "  " << u << "\n";
  }
  if (a.kernels) {
    std::cout << "kernels:\n";
    for (const auto& k : j["kernels"]) {
      std::cout << "  " << k["node"].get<std::string>() << " (" << k["op"].get<std::string>()
                << "): " << k["kernel"].get<std::string>();
      if (!k["dtypes"].get<std::string>().empty()) std::cout << "  [" << k["dtypes"].get<std::string>() << "]";
      std::cout << "\n";
      for (const auto& d : k["declined"]) std::cout << "      declined " << d.get<std::string>() << "\n";
    }
    const auto& q = j["integer_kernels"];
    if (q["quantized_ops"].get<int>() > 0 || qdq) {
      std::cout << "integer kernels: " << q["integer"].get<int>() << " of " << q["quantized_ops"].get<int>()
                << " quantized MatMul/Gemm/Conv (" << q["quant_dequant_pairs"].get<int>()
                << " other Q->DQ pairs fused into QuantDequant)\n";
      for (const auto& u : q["unfolded"]) std::cout << "  left unfolded: " << u.get<std::string>() << "\n";
    }
  }
  return Status::Ok();
}

}  // namespace

void AddInspectCommand(CLI::App& root, ActionMap& actions) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = root.add_subcommand("inspect", "Opsets, inputs/outputs, op histogram, weights, SAM family, unsupported ops");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_flag("--json", args->json, "One JSON object on stdout");
  cmd->add_flag("--kernels", args->kernels, "Show which kernel each node got and why others declined");
  actions[cmd] = [args] { return RunInspect(*args); };
}

}  // namespace samq::cli
