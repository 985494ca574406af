#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in BUILD_DIR, seeds their corpora at run time (generated
# models/arrays plus small fixture files read from ../shared/fixtures; nothing is copied into the
# repository) and runs each fuzzer for a bounded time. Exits non-zero if any fuzzer finds a crash,
# a sanitizer report, a leak or a broken round-trip invariant; reproducers land in
# BUILD_DIR/fuzz_artifacts/.
#
# Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_PER_FUZZER=60]
#   env: JOBS (build parallelism, default 2), SAMQ_FIXTURES (fixture folder), FUZZ_ARGS (extra
#        libFuzzer flags), CXX (default clang++)
set -euo pipefail

build=${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS_PER_FUZZER]}
seconds=${2:-60}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fixtures=${SAMQ_FIXTURES:-$src/../shared/fixtures}

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DSAMQ_BUILD_FUZZERS=ON -DSAMQ_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz_onnx fuzz_npy fuzz_make_seeds -j"${JOBS:-2}"

build=$(cd "$build" && pwd)
corpus=$build/fuzz_corpus
artifacts=$build/fuzz_artifacts
mkdir -p "$corpus/onnx" "$corpus/npy" "$artifacts"

"$build/tests/fuzz/fuzz_make_seeds" "$corpus/onnx" "$corpus/npy"
if [[ -d $fixtures ]]; then
  # Small real files only: graph-only encoders (weights stripped) and the small case arrays.
  find "$fixtures" -name '*.onnx' -size -1024k -exec cp -f {} "$corpus/onnx/" \;
  find "$fixtures" -path '*/cases/*' -name '*.npy' -size -64k -exec cp -f {} "$corpus/npy/" \;
else
  echo "note: fixtures not found at $fixtures; using generated seeds only" >&2
fi

status=0
run() {
  local name=$1; shift
  echo "== $name: ${seconds}s, corpus $(ls "$corpus/$name" | wc -l) files" >&2
  if ! "$build/tests/fuzz/fuzz_$name" "$corpus/$name" -max_total_time="$seconds" -rss_limit_mb=4096 \
      -max_len=1048576 -timeout=30 -print_final_stats=1 -artifact_prefix="$artifacts/${name}-" \
      "$@" ${FUZZ_ARGS:-} 2>"$build/fuzz_$name.log"; then
    echo "!! fuzz_$name failed; see $build/fuzz_$name.log and $artifacts" >&2
    tail -40 "$build/fuzz_$name.log" >&2
    status=1
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$build/fuzz_$name.log" >&2 || true
  fi
}
run onnx
run npy -dict="$src/tests/fuzz/npy.dict"
exit $status
