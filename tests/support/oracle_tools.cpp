#include "support/oracle_tools.h"

#include <filesystem>
#include <random>

#include "io/npy.h"
#include "support/run_cli.h"

namespace samq::testing {

namespace fs = std::filesystem;

OracleRun RunOrt(const std::string& model, const std::map<std::string, Tensor>& inputs, int threads) {
  OracleRun r;
  fs::path dir = fs::temp_directory_path() / ("samq_ort_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  std::vector<std::string> args = {std::string(SAMQ_SOURCE_DIR) + "/tests/oracles/ort_run.py", model,
                                   "--out-dir", (dir / "out").string(), "--threads",
                                   std::to_string(threads)};
  for (const auto& [name, t] : inputs) {
    fs::path p = dir / (std::to_string(args.size()) + ".npy");
    (void)io::WriteNpy(p, t);
    args.push_back("--input");
    args.push_back(name + "=" + p.string());
  }
  auto res = RunProgram("python3", args);
  r.exit_code = res.exit_code;
  r.err = res.err;
  r.available = res.exit_code != 3 && res.exit_code != 127;
  if (res.exit_code == 0) {
    for (const auto& e : fs::directory_iterator(dir / "out")) {
      auto t = io::ReadNpy(e.path());
      if (t.ok()) r.outputs[e.path().stem().string()] = std::move(t).value();
    }
  }
  fs::remove_all(dir);
  return r;
}

}  // namespace samq::testing
