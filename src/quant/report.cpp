// The --report JSON and the short stderr summary of `samq quantize`.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "quant/quantize.h"

namespace samq::quant {

namespace {
double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}
}  // namespace

Status WriteQuantizeReport(const std::string& path, const QuantizeSummary& s) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["model"] = s.model;
  j["out"] = s.out;
  j["family"] = s.family;
  j["role"] = s.role;
  j["mode"] = s.mode;
  j["weights"] = s.weights_form;
  j["activations"] = s.activation_type;
  j["calibration"] = {{"source", s.calib_source}, {"runs_per_pass", s.calib_samples}, {"items", s.calib_items}};
  j["bytes"] = {{"in", s.in_bytes}, {"out", s.out_bytes}};
  ordered_json nodes = ordered_json::array();
  for (const auto& n : s.quantized) nodes.push_back({{"node", n.name}, {"op_type", n.op_type}});
  j["quantized_nodes"] = nodes;
  ordered_json excluded = ordered_json::array();
  for (const auto& e : s.excluded) excluded.push_back({{"node", e.node}, {"op_type", e.op_type}, {"reason", e.reason}});
  j["excluded"] = excluded;
  ordered_json tensors = ordered_json::array();
  for (const auto& t : s.tensors) {
    ordered_json o;
    o["name"] = t.name;
    o["kind"] = t.is_weight ? "weight" : "activation";
    o["type"] = std::string(dtype_name(t.type));
    if (t.is_weight) {
      o["axis"] = t.axis;
      o["scales"] = t.scales;
      o["zero_point"] = 0;
    } else {
      o["scale"] = t.scales.at(0);
      o["zero_point"] = t.zero_point;
      o["observed_min"] = t.observed_min;
      o["observed_max"] = t.observed_max;
      o["range"] = {t.lo, t.hi};
    }
    o["observer"] = t.observer;
    if (t.has_sqnr) o["sqnr_db"] = t.sqnr_db;
    o["consumers"] = t.consumers;
    tensors.push_back(std::move(o));
  }
  j["tensors"] = tensors;
  j["warnings"] = s.warnings;
  return io::WriteFileAtomic(path, j.dump(2) + "\n");
}

std::string HumanSummary(const QuantizeSummary& s) {
  std::map<std::string, int> by_op, excl_by_reason;
  for (const auto& n : s.quantized) by_op[n.op_type]++;
  for (const auto& e : s.excluded) {
    std::string kind = e.reason.rfind("matches --exclude", 0) == 0 ? "--exclude"
                       : e.reason.rfind("op type", 0) == 0         ? "op type"
                                                                   : "not quantizable";
    excl_by_reason[kind]++;
  }
  std::string ops;
  for (const auto& [op, k] : by_op) ops += fmt::format("{}{} {}", ops.empty() ? "" : ", ", k, op);
  std::string excl;
  for (const auto& [why, k] : excl_by_reason) excl += fmt::format("{}{} {}", excl.empty() ? "" : ", ", k, why);
  std::vector<double> act, wgt;
  const TensorReport* worst = nullptr;
  for (const auto& t : s.tensors) {
    if (!t.has_sqnr) continue;
    (t.is_weight ? wgt : act).push_back(t.sqnr_db);
    if (!t.is_weight && (!worst || t.sqnr_db < worst->sqnr_db)) worst = &t;
  }
  std::string out = fmt::format("samq quantize: {} {} ({}), {} calibration run(s) per pass from {}\n", s.family, s.role,
                                s.mode, s.calib_samples, s.calib_source);
  out += fmt::format("  quantized {} node(s): {}; excluded {}{}\n", s.quantized.size(), ops, s.excluded.size(),
                     excl.empty() ? "" : " (" + excl + ")");
  if (!wgt.empty()) out += fmt::format("  weights: median SQNR {:.1f} dB ({} tensors, {})\n", Median(wgt), wgt.size(), s.weights_form);
  if (!act.empty())
    out += fmt::format("  activations: median SQNR {:.1f} dB over calibration data ({} tensors, {}); lowest {:.1f} dB at '{}'\n",
                       Median(act), act.size(), s.activation_type, worst->sqnr_db, worst->name);
  out += fmt::format("  wrote {} ({:.1f} MB, input {:.1f} MB) in {:.1f} s\n", s.out, s.out_bytes / 1e6, s.in_bytes / 1e6, s.seconds);
  return out;
}

}  // namespace samq::quant
