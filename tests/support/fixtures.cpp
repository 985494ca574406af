#include "support/fixtures.h"

#include <cstdlib>
#include <cstring>

namespace samq::testing {

std::filesystem::path SharedDir() {
  if (const char* env = std::getenv("SAMQ_SHARED")) return env;
  if (const char* env = std::getenv("SAMQ_FIXTURES")) return std::filesystem::path(env).parent_path();
  return std::filesystem::path(SAMQ_SOURCE_DIR).parent_path() / "shared";
}

std::filesystem::path FixturesDir() {
  if (const char* env = std::getenv("SAMQ_FIXTURES")) return env;
  return SharedDir() / "fixtures";
}

std::filesystem::path DataDir() { return SharedDir() / "data"; }

std::filesystem::path OracleDir() { return SAMQ_ORACLE_DIR; }

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

}  // namespace samq::testing
