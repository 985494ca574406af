// Where tests find the shared fixtures and the generated oracle data.
//
// Fixtures are read from $SAMQ_FIXTURES or ../shared/fixtures beside the checkout, never copied
// into the repository. When they are missing the test fails under CI=true and skips otherwise.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace samq::testing {

// Path of ../shared (the folder holding fixtures/ and data/); empty if not found.
std::filesystem::path SharedDir();
std::filesystem::path FixturesDir();  // SharedDir()/fixtures or $SAMQ_FIXTURES
std::filesystem::path DataDir();      // SharedDir()/data
std::filesystem::path OracleDir();    // build/oracles (made by tests/oracles/generate_all.py)
bool InCi();                          // CI=true in the environment

}  // namespace samq::testing

// Use at the top of a test that needs the fixtures: FAIL under CI, SKIP elsewhere.
#define SAMQ_REQUIRE_FIXTURES()                                                          \
  do {                                                                                   \
    if (!std::filesystem::exists(::samq::testing::FixturesDir())) {                      \
      if (::samq::testing::InCi()) FAIL() << "fixtures not found: set SAMQ_FIXTURES";    \
      GTEST_SKIP() << "fixtures not found (set SAMQ_FIXTURES)";                          \
    }                                                                                    \
  } while (0)

#define SAMQ_REQUIRE_PATH(p)                                                             \
  do {                                                                                   \
    if (!std::filesystem::exists(p)) {                                                   \
      if (::samq::testing::InCi()) FAIL() << "required test data missing: " << (p);      \
      GTEST_SKIP() << "required test data missing: " << (p);                             \
    }                                                                                    \
  } while (0)
