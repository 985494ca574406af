// Helpers of the op conformance suite: finding oracle cases, reading their data sets, comparing
// tensors with per-dtype tolerances, and the exclusion list.
//
// A case is a folder in the ONNX backend-test layout written by tests/oracles/generate_all.py:
// model.onnx, test_data_set_<k>/input_<i>.pb + output_<j>.pb, plus samq's meta.json (which graph
// input each input file feeds, tolerance overrides, opset retargeting) or error.txt when the
// oracle itself could not be produced. Plain ONNX data folders without meta.json also work.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "ir/graph.h"

namespace samq::testing::conformance {

// samq's opset contract (docs/DESIGN.md); cases outside it are skipped, not failed.
constexpr int64_t kMinOpset = 11;
constexpr int64_t kMaxOpset = 21;

struct CaseId {
  std::string source;  // "node" (ONNX's node tests) or "ort" (tests/oracles/cases_*.py)
  std::string name;    // folder name
  std::filesystem::path dir;
  std::string key() const { return source + "/" + name; }
};
// gtest prints parameters into test names (and CTest's list); show the case, not raw bytes.
inline void PrintTo(const CaseId& c, std::ostream* os) { *os << c.key(); }

// Cases under oracle_dir/<source>/, sorted by name. Empty when the folder does not exist.
std::vector<CaseId> ListCases(const std::filesystem::path& oracle_dir, const std::string& source);

struct CaseMeta {
  bool has_meta = false;  // meta.json present
  std::string error;      // contents of error.txt: the oracle failed, the case must fail
  int64_t opset = 0;      // as recorded by the generator (0 = unknown)
  std::optional<int64_t> retargeted_from;
  std::vector<std::vector<std::string>> inputs;  // per data set: graph input of input_<i>.pb
  std::vector<std::string> outputs;              // graph output of output_<j>.pb
  std::optional<double> atol, rtol;              // looser tolerance the case asks for
};
Result<CaseMeta> ReadCaseMeta(const std::filesystem::path& case_dir);

struct DataSet {
  std::string label;  // "test_data_set_0"
  std::vector<std::pair<std::string, Tensor>> inputs;   // graph input name -> value
  std::vector<std::pair<std::string, Tensor>> outputs;  // graph output name -> expected
};
// Reads every test_data_set_<k>. Inputs are named from meta.json, else matched in order to the
// model's runtime inputs (ONNX's convention); outputs likewise from meta.json or graph outputs.
Result<std::vector<DataSet>> ReadDataSets(const std::filesystem::path& case_dir,
                                          const CaseMeta& meta, const ir::Model& model);

// |actual - expected| <= atol + rtol * |expected|, NaN equals NaN, infinities must match.
struct Tolerance {
  double atol = 0, rtol = 0;
};
// The default for an output dtype: float32/64 1e-4 + 1e-4*|e|; narrow floats looser (see .cpp);
// integers and bool exact (the tolerance is ignored for them).
Tolerance DefaultTolerance(DType dtype);

// Empty when `actual` matches; otherwise a report: dtype/shape mismatch, or the number of bad
// elements and the first `max_listed` with their multi-indices.
std::string CompareToOracle(const Tensor& expected, const Tensor& actual, Tolerance tol,
                            int max_listed = 8);

// exclusions.txt: `pattern  # reason` per line; '#'-only lines and blank lines are comments.
// A pattern is a case name ("test_abs"), or source-qualified ("node/test_abs"), with '*'
// wildcards. A line without a reason is an error: such lines match nothing and are reported.
struct Exclusion {
  std::string pattern, reason;
  int line = 0;
};
struct ExclusionList {
  std::vector<Exclusion> entries;
  std::vector<Exclusion> without_reason;  // lines missing '# reason': the cases they name fail
  std::vector<std::string> errors;        // "exclusions.txt:12: 'test_x' has no '# reason'"
};
ExclusionList ReadExclusions(const std::filesystem::path& path);
bool GlobMatch(std::string_view pattern, std::string_view text);
// Whether a pattern names the case (source-qualified patterns match "node/test_abs").
bool PatternMatches(const std::string& pattern, const CaseId& c);
const Exclusion* FindExclusion(const ExclusionList& list, const CaseId& c);

}  // namespace samq::testing::conformance
