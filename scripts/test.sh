#!/usr/bin/env bash
# Builds samq and runs the whole test suite (the README's test command).
# Needs ../shared (fixtures and data) beside the checkout, or SAMQ_FIXTURES set.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$JOBS"
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" --timeout 1800
# Bounded fuzzing of the parsers (ONNX, .npy) with libFuzzer; fails on any crash.
if [ "${SAMQ_SKIP_FUZZ:-0}" != "1" ] && [ -x tests/fuzz/run_fuzzers.sh ]; then
  tests/fuzz/run_fuzzers.sh "$BUILD-fuzz" "${FUZZ_SECONDS:-30}"
fi
