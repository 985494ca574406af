// Op conformance: every oracle case (ONNX's own node tests, and tests/oracles/cases_*.py run
// through ONNX Runtime) is loaded, compiled and run by samq, and each output must match.
//
// One test per case folder, listed when the binary starts (gtest_discover_tests lists tests by
// running the binary, so the folders are scanned inside the INSTANTIATE_TEST_SUITE_P generator).
// Outcomes: pass; skip when the model uses an op samq does not register (coverage is tracked
// elsewhere) or lies outside samq's opset range; skip when exclusions.txt lists it (with its
// reason); fail otherwise. Each case runs on the default kernels, then on the reference kernels
// if any node chose another, then with optimization passes off (so kernels, not constant
// folding, produce the result). A summary line is printed when the binary ends.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "conformance_case.h"
#include "onnx/import.h"
#include "runtime/session.h"
#include "support/fixtures.h"

namespace samq::testing::conformance {
namespace {

namespace fs = std::filesystem;

constexpr char kMissing[] = "oracles_missing";
constexpr char kNoCases[] = "no_cases";

fs::path ExclusionsPath() {
  return fs::path(SAMQ_SOURCE_DIR) / "tests" / "onnx_conformance" / "exclusions.txt";
}

const ExclusionList& Exclusions() {
  static const ExclusionList list = ReadExclusions(ExclusionsPath());
  return list;
}

// Counters for the closing summary line.
struct Counts {
  std::atomic<int> passed{0}, unsupported{0}, out_of_range{0}, excluded{0}, failed{0};
};
Counts& Tally() {
  static Counts c;
  return c;
}

class SummaryPrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    const Counts& c = Tally();
    std::printf(
        "conformance: %d passed, %d skipped (unsupported op), %d skipped (opset outside %lld..%lld), "
        "%d excluded, %d failed\n",
        c.passed.load(), c.unsupported.load(), c.out_of_range.load(),
        static_cast<long long>(kMinOpset), static_cast<long long>(kMaxOpset), c.excluded.load(),
        c.failed.load());
  }
};
[[maybe_unused]] ::testing::Environment* const kSummary =
    ::testing::AddGlobalTestEnvironment(new SummaryPrinter);

// The case list for one source; a placeholder when the oracles have not been generated.
std::vector<CaseId> CasesOf(const std::string& source) {
  const fs::path root = OracleDir();
  if (!fs::exists(root / "stamp")) return {{source, kMissing, root}};
  auto cases = ListCases(root, source);
  if (cases.empty()) cases.push_back({source, kNoCases, root / source});
  return cases;
}

std::string ParamName(const ::testing::TestParamInfo<CaseId>& info) {
  // Folder names are [A-Za-z0-9_]+ (the generator enforces it); map anything else to '_'.
  std::string s = info.param.name;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

struct Pass {
  const char* label;
  rt::SessionOptions options;
};

// Runs every data set through one session configuration; returns the failures (empty = ok).
std::vector<std::string> RunPass(const ir::Model& model, const Pass& pass,
                                 const std::vector<DataSet>& sets, const CaseMeta& meta,
                                 bool* used_fast_kernels) {
  std::vector<std::string> failures;
  auto session = rt::Session::Create(model, backends::DefaultRegistry(), pass.options);
  if (!session.ok()) {
    failures.push_back(fmt::format("[{}] Session::Create failed: {}", pass.label,
                                   session.status().message()));
    return failures;
  }
  if (used_fast_kernels) {
    *used_fast_kernels = false;
    for (const auto& c : (*session)->kernel_choices())
      if (c.kernel.rfind("ref.", 0) != 0) *used_fast_kernels = true;
  }
  for (const DataSet& ds : sets) {
    std::map<std::string, Tensor> feeds;
    for (const auto& [name, t] : ds.inputs) feeds[name] = t;
    auto got = (*session)->Run(feeds);
    if (!got.ok()) {
      failures.push_back(fmt::format("[{}] {}: Run failed: {}", pass.label, ds.label,
                                     got.status().message()));
      continue;
    }
    for (const auto& [name, expected] : ds.outputs) {
      auto it = got->find(name);
      if (it == got->end()) {
        failures.push_back(fmt::format("[{}] {}: output '{}' missing", pass.label, ds.label, name));
        continue;
      }
      Tolerance tol = DefaultTolerance(expected.dtype());
      if (meta.atol) tol.atol = std::max(tol.atol, *meta.atol);
      if (meta.rtol) tol.rtol = std::max(tol.rtol, *meta.rtol);
      std::string diff = CompareToOracle(expected, it->second, tol);
      if (!diff.empty())
        failures.push_back(
            fmt::format("[{}] {}: output '{}': {}", pass.label, ds.label, name, diff));
    }
  }
  return failures;
}

class Conformance : public ::testing::TestWithParam<CaseId> {};

TEST_P(Conformance, Case) {
  const CaseId& c = GetParam();
  if (c.name == kMissing) {
    const std::string msg = fmt::format(
        "no oracles in {}: run the ctest fixture `oracles.generate` first (or "
        "tests/oracles/generate_all.py --out {}), then list the tests again",
        c.dir.string(), c.dir.string());
    if (InCi()) FAIL() << msg;
    GTEST_SKIP() << msg;
  }
  if (c.name == kNoCases) GTEST_SKIP() << "no cases in " << c.dir.string();

  auto meta_or = ReadCaseMeta(c.dir);
  ASSERT_TRUE(meta_or.ok()) << meta_or.status().message();
  const CaseMeta& meta = *meta_or;
  if (!meta.error.empty()) {
    ++Tally().failed;
    FAIL() << "the oracle for " << c.key() << " could not be generated:\n" << meta.error;
  }
  // A reason-less line must not silently exclude anything: the cases it names fail.
  for (const auto& bad : Exclusions().without_reason)
    if (PatternMatches(bad.pattern, c)) {
      ++Tally().failed;
      FAIL() << "exclusions.txt:" << bad.line << ": '" << bad.pattern
             << "' has no '# reason'; every exclusion must say why";
    }
  if (const Exclusion* ex = FindExclusion(Exclusions(), c)) {
    ++Tally().excluded;
    GTEST_SKIP() << "excluded (exclusions.txt:" << ex->line << "): " << ex->reason;
  }

  const int64_t recorded_opset = meta.opset;
  auto out_of_range = [](int64_t opset) { return opset < kMinOpset || opset > kMaxOpset; };
  auto loaded = samq::onnx::LoadModel(c.dir / "model.onnx");
  if (!loaded.ok()) {
    if (recorded_opset != 0 && out_of_range(recorded_opset)) {
      ++Tally().out_of_range;
      GTEST_SKIP() << "opset " << recorded_opset << " is outside samq's range " << kMinOpset
                   << ".." << kMaxOpset << " (and not retargetable); load said: "
                   << loaded.status().message();
    }
    ++Tally().failed;
    FAIL() << "LoadModel failed: " << loaded.status().message();
  }
  const ir::Model& model = loaded->model;
  auto unsupported = rt::FindUnsupportedNodes(model, backends::DefaultRegistry());
  if (!unsupported.empty()) {
    ++Tally().unsupported;
    GTEST_SKIP() << "unsupported op(s): " << Join(unsupported, "; ");
  }
  const int64_t opset = model.default_opset();
  if (opset != 0 && out_of_range(opset)) {
    ++Tally().out_of_range;
    GTEST_SKIP() << "opset " << opset << " is outside samq's range " << kMinOpset << ".."
                 << kMaxOpset << " (the generator could not retarget this case)";
  }

  auto sets = ReadDataSets(c.dir, meta, model);
  if (!sets.ok()) {
    ++Tally().failed;
    FAIL() << "reading test data: " << sets.status().message();
  }

  std::vector<std::string> failures;
  bool fast = false;
  Pass normal{"default kernels", {}};
  normal.options.threads = 1;
  auto f = RunPass(model, normal, *sets, meta, &fast);
  failures.insert(failures.end(), f.begin(), f.end());
  if (fast) {
    Pass ref{"reference kernels", {}};
    ref.options.threads = 1;
    ref.options.reference_kernels_only = true;
    f = RunPass(model, ref, *sets, meta, nullptr);
    failures.insert(failures.end(), f.begin(), f.end());
  }
  Pass unoptimized{"optimize=false", {}};
  unoptimized.options.threads = 1;
  unoptimized.options.optimize = false;
  f = RunPass(model, unoptimized, *sets, meta, nullptr);
  failures.insert(failures.end(), f.begin(), f.end());

  if (!failures.empty()) {
    ++Tally().failed;
    std::string where = c.key();
    if (meta.retargeted_from)
      where += fmt::format(" (retargeted from opset {} to {})", *meta.retargeted_from, opset);
    FAIL() << where << ":\n  " << Join(failures, "\n  ");
  }
  ++Tally().passed;
}

INSTANTIATE_TEST_SUITE_P(node, Conformance, ::testing::ValuesIn(CasesOf("node")), ParamName);
INSTANTIATE_TEST_SUITE_P(ort, Conformance, ::testing::ValuesIn(CasesOf("ort")), ParamName);

TEST(ConformanceExclusions, EveryLineHasAReason) {
  for (const auto& err : Exclusions().errors) ADD_FAILURE() << err;
}

TEST(ConformanceExclusions, EveryLineMatchesACase) {
  if (!fs::exists(OracleDir() / "stamp")) GTEST_SKIP() << "oracles not generated";
  std::vector<CaseId> all = ListCases(OracleDir(), "node");
  auto ort = ListCases(OracleDir(), "ort");
  all.insert(all.end(), ort.begin(), ort.end());
  for (const auto& e : Exclusions().entries) {
    bool hit = false;
    for (const auto& c : all)
      if (PatternMatches(e.pattern, c)) {
        hit = true;
        break;
      }
    EXPECT_TRUE(hit) << "exclusions.txt:" << e.line << ": '" << e.pattern
                     << "' matches no case any more; remove the line";
  }
}

}  // namespace
}  // namespace samq::testing::conformance
