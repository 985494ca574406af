#include "conformance_case.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/float_convert.h"
#include "onnx/import.h"

namespace samq::testing::conformance {
namespace fs = std::filesystem;

namespace {

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::UserF("cannot open {}", path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Numbered files <prefix><i>.pb, i = 0, 1, ... until the first gap (ONNX's convention; sorting
// names would put input_10 before input_2).
std::vector<fs::path> NumberedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (int i = 0;; ++i) {
    fs::path p = dir / fmt::format("{}{}.pb", prefix, i);
    if (!fs::exists(p)) break;
    out.push_back(p);
  }
  return out;
}

std::string MultiIndex(const Shape& shape, int64_t flat) {
  if (shape.empty()) return "[]";
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    const int64_t n = std::max<int64_t>(shape[d], 1);
    idx[d] = flat % n;
    flat /= n;
  }
  return fmt::format("[{}]", fmt::join(idx, ","));
}

bool IsExactDType(DType t) { return !dtype_is_float(t); }

}  // namespace

std::vector<CaseId> ListCases(const fs::path& oracle_dir, const std::string& source) {
  std::vector<CaseId> out;
  std::error_code ec;
  const fs::path root = oracle_dir / source;
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    out.push_back({source, entry.path().filename().string(), entry.path()});
  }
  std::sort(out.begin(), out.end(), [](const CaseId& a, const CaseId& b) { return a.name < b.name; });
  return out;
}

Result<CaseMeta> ReadCaseMeta(const fs::path& case_dir) {
  CaseMeta meta;
  if (fs::exists(case_dir / "error.txt")) {
    SAMQ_ASSIGN_OR_RETURN(meta.error, ReadFile(case_dir / "error.txt"));
    if (meta.error.empty()) meta.error = "error.txt is empty";
  }
  const fs::path path = case_dir / "meta.json";
  if (!fs::exists(path)) return meta;
  SAMQ_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::UserF("{}: not a JSON object", path.string());
  meta.has_meta = true;
  try {
    meta.opset = j.value("opset", int64_t{0});
    if (j.contains("opset_retargeted_from"))
      meta.retargeted_from = j["opset_retargeted_from"].get<int64_t>();
    if (j.contains("inputs"))
      meta.inputs = j["inputs"].get<std::vector<std::vector<std::string>>>();
    if (j.contains("outputs")) meta.outputs = j["outputs"].get<std::vector<std::string>>();
    if (j.contains("atol")) meta.atol = j["atol"].get<double>();
    if (j.contains("rtol")) meta.rtol = j["rtol"].get<double>();
  } catch (const nlohmann::json::exception& e) {
    return Status::UserF("{}: {}", path.string(), e.what());
  }
  return meta;
}

Result<std::vector<DataSet>> ReadDataSets(const fs::path& case_dir, const CaseMeta& meta,
                                          const ir::Model& model) {
  std::vector<std::string> default_inputs, default_outputs;
  for (const ir::ValueInfo* v : model.graph.runtime_inputs()) default_inputs.push_back(v->name);
  for (const auto& v : model.graph.outputs) default_outputs.push_back(v.name);
  const std::vector<std::string>& out_names = meta.outputs.empty() ? default_outputs : meta.outputs;

  std::vector<DataSet> sets;
  for (int k = 0;; ++k) {
    const fs::path dir = case_dir / fmt::format("test_data_set_{}", k);
    if (!fs::is_directory(dir)) break;
    DataSet ds;
    ds.label = dir.filename().string();
    const auto& in_names = k < static_cast<int>(meta.inputs.size()) ? meta.inputs[k] : default_inputs;
    const auto in_files = NumberedFiles(dir, "input_");
    const auto out_files = NumberedFiles(dir, "output_");
    if (in_files.size() > in_names.size())
      return Status::UserF("{}: {} input files but only {} inputs to feed ({})", dir.string(),
                           in_files.size(), in_names.size(), fmt::join(in_names, ", "));
    if (out_files.size() != out_names.size())
      return Status::UserF("{}: {} output files for {} graph outputs", dir.string(),
                           out_files.size(), out_names.size());
    for (size_t i = 0; i < in_files.size(); ++i) {
      SAMQ_ASSIGN_OR_RETURN(std::string bytes, ReadFile(in_files[i]));
      auto t = samq::onnx::ParseTensorProto(bytes);
      if (!t.ok()) return t.status().WithContext(in_files[i].string());
      ds.inputs.emplace_back(in_names[i], std::move(t).value());
    }
    for (size_t j = 0; j < out_files.size(); ++j) {
      SAMQ_ASSIGN_OR_RETURN(std::string bytes, ReadFile(out_files[j]));
      auto t = samq::onnx::ParseTensorProto(bytes);
      if (!t.ok()) return t.status().WithContext(out_files[j].string());
      ds.outputs.emplace_back(out_names[j], std::move(t).value());
    }
    sets.push_back(std::move(ds));
  }
  if (sets.empty()) return Status::UserF("{}: no test_data_set_0", case_dir.string());
  return sets;
}

Tolerance DefaultTolerance(DType dtype) {
  switch (dtype) {
    // ~4 ulp of IEEE half (eps 2^-10): expected values are often computed in fp32 and rounded,
    // kernels may round intermediate steps.
    case DType::kFloat16: return {1e-3, 4e-3};
    // 2 ulp of bfloat16 (eps 2^-7).
    case DType::kBFloat16: return {1e-2, 1.6e-2};
    // float8 results come from Cast/QuantizeLinear, whose rounding is fully specified: exact
    // after conversion (so +0 == -0 and any NaN == NaN, but one ulp is a real bug).
    case DType::kFloat8E4M3FN: case DType::kFloat8E5M2: return {0, 0};
    default: return {1e-4, 1e-4};
  }
}

std::string CompareToOracle(const Tensor& expected, const Tensor& actual, Tolerance tol,
                            int max_listed) {
  if (expected.dtype() != actual.dtype())
    return fmt::format("dtype {} expected, got {}", dtype_name(expected.dtype()),
                       dtype_name(actual.dtype()));
  if (expected.shape() != actual.shape())
    return fmt::format("shape {} expected, got {}", shape_str(expected.shape()),
                       shape_str(actual.shape()));
  const DType dt = expected.dtype();
  const int64_t n = expected.numel();
  const size_t esize = dtype_size(dt);
  int64_t bad = 0;
  std::string listed;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    double e = element_as_double(dt, expected.raw(), i);
    double a = element_as_double(dt, actual.raw(), i);
    if (IsExactDType(dt)) {
      // Bytes, not doubles: int64/uint64 beyond 2^53 must compare exactly too.
      ok = std::memcmp(static_cast<const char*>(expected.raw()) + i * esize,
                       static_cast<const char*>(actual.raw()) + i * esize, esize) == 0;
    } else if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = e == a;
    } else {
      const double diff = std::fabs(a - e);
      ok = diff <= tol.atol + tol.rtol * std::fabs(e);
      if (!ok) worst = std::max(worst, diff);
    }
    if (ok) continue;
    if (bad < max_listed) {
      if (IsExactDType(dt) && (dt == DType::kInt64 || dt == DType::kUInt64)) {
        // Print the integers themselves, not their (possibly rounded) double values.
        int64_t ei, ai;
        std::memcpy(&ei, static_cast<const char*>(expected.raw()) + i * 8, 8);
        std::memcpy(&ai, static_cast<const char*>(actual.raw()) + i * 8, 8);
        listed += fmt::format("\n    at {}: expected {}, got {}", MultiIndex(expected.shape(), i),
                              ei, ai);
      } else {
        listed += fmt::format("\n    at {}: expected {:.9g}, got {:.9g} (diff {:.3g})",
                              MultiIndex(expected.shape(), i), e, a, std::fabs(a - e));
      }
    }
    ++bad;
  }
  if (bad == 0) return {};
  std::string head = fmt::format("{} of {} elements differ ({}, shape {}", bad, n, dtype_name(dt),
                                 shape_str(expected.shape()));
  if (!IsExactDType(dt))
    head += fmt::format(", tolerance {:g} + {:g}*|expected|, max finite diff {:.3g}", tol.atol,
                        tol.rtol, worst);
  return head + "):" + listed + (bad > max_listed ? "\n    ..." : "");
}

bool GlobMatch(std::string_view p, std::string_view t) {
  // Iterative '*' matcher with one backtrack point: linear enough for short case names.
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && p[pi] == t[ti]) {
      ++pi;
      ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

ExclusionList ReadExclusions(const fs::path& path) {
  ExclusionList list;
  std::ifstream in(path);
  if (!in) {
    list.errors.push_back(fmt::format("{}: cannot open", path.string()));
    return list;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const size_t hash = line.find('#');
    const std::string pattern = Trim(std::string_view(line).substr(0, hash));
    if (pattern.empty()) continue;  // blank or comment-only
    const std::string reason =
        hash == std::string::npos ? "" : Trim(std::string_view(line).substr(hash + 1));
    if (reason.empty()) {
      list.without_reason.push_back({pattern, "", number});
      list.errors.push_back(fmt::format("{}:{}: '{}' has no '# reason'",
                                        path.filename().string(), number, pattern));
      continue;
    }
    if (pattern.find_first_of(" \t") != std::string::npos) {
      list.errors.push_back(fmt::format("{}:{}: '{}' is not one case pattern",
                                        path.filename().string(), number, pattern));
      continue;
    }
    list.entries.push_back({pattern, reason, number});
  }
  return list;
}

bool PatternMatches(const std::string& pattern, const CaseId& c) {
  const bool qualified = pattern.find('/') != std::string::npos;
  return GlobMatch(pattern, qualified ? c.key() : c.name);
}

const Exclusion* FindExclusion(const ExclusionList& list, const CaseId& c) {
  for (const auto& e : list.entries)
    if (PatternMatches(e.pattern, c)) return &e;
  return nullptr;
}

}  // namespace samq::testing::conformance
