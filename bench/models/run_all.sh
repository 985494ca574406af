#!/usr/bin/env bash
# samq vs ONNX Runtime on the issue-4 model set, one compare_ort.py call per model.
#
#   bench/models/run_all.sh [--runs K] [--warmup W] [--rounds R] [--threads N] [--only NAME]...
#                           [--check] [--profile] [--table FILE.md]
#
# Models (names for --only): mobilesam, sam-vit-b, efficientvit-sam-l0, sam2.1-hiera-tiny, decoder.
# The full-size graphs in $SAMQ_FIXTURES/graphs carry no weights: they are completed once with
# `samq synth-weights` (seed 0) into $SCRATCH and reused on later calls.
# The decoder runs the fixture's raw decoder call (mobilesam/cases/decoder_in_*.npy, the truck's
# image embedding) with orig_im_size = 1200x1800, i.e. one prompt with full-resolution masks.
#
# Environment: SAMQ_BIN (samq binary; default build/samq), SAMQ_FIXTURES (default
# ../shared/fixtures next to the repository), SCRATCH (default /tmp/samq_bench), PYTHON.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixtures=${SAMQ_FIXTURES:-$(cd "$repo/.." && pwd)/shared/fixtures}
scratch=${SCRATCH:-/tmp/samq_bench}
samq=${SAMQ_BIN:-$repo/build/samq}
python=${PYTHON:-python3}

runs=10 warmup=1 rounds=2 threads=2 table="" extra=() only=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    --check|--profile) extra+=("$1"); shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run_all.sh: error: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x $samq ]] || { echo "run_all.sh: error: samq binary '$samq' not found (set SAMQ_BIN)" >&2; exit 2; }
[[ -d $fixtures ]] || { echo "run_all.sh: error: fixtures '$fixtures' not found (set SAMQ_FIXTURES)" >&2; exit 2; }
mkdir -p "$scratch"

wanted() {  # wanted NAME: true when no --only was given or NAME is among them
  [[ ${#only[@]} -eq 0 ]] && return 0
  local o; for o in "${only[@]}"; do [[ $o == "$1" ]] && return 0; done; return 1
}

# synth GRAPH OUT: complete a weightless graph once (redone when the graph is newer).
synth() {
  if [[ ! -s $2 || $1 -nt $2 ]]; then
    echo "== synth-weights $(basename "$1") -> $2" >&2
    "$samq" synth-weights "$1" "$2" --seed 0 >&2
  fi
}

compare() {  # compare NAME MODEL [--input ...]
  local name=$1 model=$2; shift 2
  echo "== $name" >&2
  local args=(--samq "$samq" --name "$name" --threads "$threads" --runs "$runs" --warmup "$warmup"
              --rounds "$rounds" --json-out "$scratch/$name.json" "${extra[@]}")
  [[ -n $table ]] && args+=(--markdown "$table")
  "$python" "$here/compare_ort.py" "$model" "${args[@]}" "$@"
  echo
}

if wanted mobilesam; then
  compare mobilesam "$fixtures/mobilesam/encoder.onnx"
fi
if wanted sam-vit-b; then
  synth "$fixtures/graphs/sam-vit-b.encoder.onnx" "$scratch/sam-vit-b.encoder.onnx"
  compare sam-vit-b "$scratch/sam-vit-b.encoder.onnx"
fi
if wanted efficientvit-sam-l0; then
  synth "$fixtures/graphs/efficientvit-sam-l0.encoder.onnx" "$scratch/efficientvit-sam-l0.encoder.onnx"
  compare efficientvit-sam-l0 "$scratch/efficientvit-sam-l0.encoder.onnx"
fi
if wanted sam2.1-hiera-tiny; then
  synth "$fixtures/graphs/sam2.1-hiera-tiny.encoder.onnx" "$scratch/sam2.1-hiera-tiny.encoder.onnx"
  compare sam2.1-hiera-tiny "$scratch/sam2.1-hiera-tiny.encoder.onnx"
fi
if wanted decoder; then
  cases=$fixtures/mobilesam/cases
  "$python" -c "import numpy as np, sys; np.save(sys.argv[1], np.array([1200, 1800], np.float32))" \
    "$scratch/orig_im_size_1200x1800.npy"
  compare decoder-1200x1800 "$fixtures/sam1-decoder/decoder.onnx" \
    --input "image_embeddings=$cases/image_embeddings.npy" \
    --input "point_coords=$cases/decoder_in_point_coords.npy" \
    --input "point_labels=$cases/decoder_in_point_labels.npy" \
    --input "mask_input=$cases/decoder_in_mask_input.npy" \
    --input "has_mask_input=$cases/decoder_in_has_mask_input.npy" \
    --input "orig_im_size=$scratch/orig_im_size_1200x1800.npy"
fi
