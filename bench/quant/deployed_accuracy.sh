#!/usr/bin/env bash
# Is the accuracy samq reports the accuracy a deployment gets? For each fixture encoder:
#   1. `samq quantize --mode int8`, calibrated on coco-tiny/train2017;
#   2. `samq compare` FP32 vs INT8 in samq on coco-tiny/val2017 (GT box + centre-point prompts),
#      saving the preprocessed encoder inputs;
#   3. ONNX Runtime runs the same INT8 file on those inputs, with all optimizations (its integer
#      QDQ kernels: the deployment) and without (Q/DQ executed as written);
#   4. `samq compare --reference-outputs`: samq's masks vs the masks of ORT's embeddings, and ORT's
#      two runs against each other (how far two correct executions of the file can differ).
# Also ONNX Runtime's own quantize_static output for MobileSAM (made by tests/oracles/qdq_models.py
# into $ORACLES/qdq_models/mobilesam_pc when the test oracles exist).
#
#   bench/quant/deployed_accuracy.sh [--images K] [--only NAME]... [--table OUT.md]
#
# Environment: SAMQ_BIN (default build/samq), SAMQ_FIXTURES, SAMQ_DATA (default ../shared/{fixtures,data}),
# SCRATCH (default /tmp/samq_deployed), ORACLES (default build/oracles), PYTHON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
fixtures=${SAMQ_FIXTURES:-$(cd "$repo/.." && pwd)/shared/fixtures}
data=${SAMQ_DATA:-$(cd "$repo/.." && pwd)/shared/data}
samq=${SAMQ_BIN:-$repo/build/samq}
scratch=${SCRATCH:-/tmp/samq_deployed}
oracles=${ORACLES:-$repo/build/oracles}
python=${PYTHON:-python3}
images=10 table="" only=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --images) images=$2; shift 2 ;;
    --table) table=$2; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "deployed_accuracy.sh: error: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x $samq ]] || { echo "deployed_accuracy.sh: error: samq binary '$samq' not found (set SAMQ_BIN)" >&2; exit 2; }
coco=$data/coco-tiny
ann=$coco/annotations/instances_val2017.json
mkdir -p "$scratch"
wanted() { [[ ${#only[@]} -eq 0 ]] && return 0; local o; for o in "${only[@]}"; do [[ $o == "$1" ]] && return 0; done; return 1; }
miou() { "$python" -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("%.4f (min %.4f)" % (s["miou"], s["min_iou"]))' "$1"; }
cosine() { "$python" -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("%.5f" % s["embedding_cosine_mean"])' "$1"; }

rows=()
# measure NAME FP32.onnx INT8.onnx DECODER.onnx [quantize args...]: one table row.
measure() {
  local name=$1 fp32=$2 q=$3 dec=$4; shift 4
  local d=$scratch/$name
  rm -rf "$d"; mkdir -p "$d"
  if [[ $# -gt 0 ]]; then
    echo "== $name: samq quantize" >&2
    "$samq" quantize --model "$fp32" --out "$q" --mode int8 --calib-dir "$coco/train2017" --threads 2 "$@" >&2
  fi
  local common=(--decoder "$dec" --images "$coco/val2017" --annotations "$ann" --max-images "$images" --threads 2)
  echo "== $name: samq compare FP32 vs INT8 (samq), saving inputs" >&2
  "$samq" compare --reference "$fp32" --candidate "$q" "${common[@]}" --save-inputs "$d/inputs" --report "$d/q_vs_fp32.json" >/dev/null
  echo "== $name: ONNX Runtime on the INT8 file" >&2
  "$python" "$repo/tests/oracles/ort_encode_dir.py" "$q" "$d/inputs" "$d/ort_opt"
  "$python" "$repo/tests/oracles/ort_encode_dir.py" "$q" "$d/inputs" "$d/ort_plain" --no-optimize
  echo "== $name: samq compare against ORT's outputs" >&2
  "$samq" compare --candidate "$q" --reference-outputs "$d/ort_opt" "${common[@]}" --report "$d/samq_vs_ort.json" >/dev/null
  "$samq" compare --reference "$q" --reference-outputs "$d/ort_opt" --candidate-outputs "$d/ort_plain" "${common[@]}" \
    --report "$d/ort_vs_ort.json" >/dev/null
  rows+=("| $name | $(miou "$d/samq_vs_ort.json") | $(cosine "$d/samq_vs_ort.json") | $(miou "$d/ort_vs_ort.json") | $(cosine "$d/ort_vs_ort.json") | $(miou "$d/q_vs_fp32.json") |")
}

dec1=$fixtures/sam1-decoder/decoder.onnx
wanted sam-vit-mini && measure sam-vit-mini "$fixtures/sam-vit-mini/encoder.onnx" "$scratch/sam-vit-mini.int8.onnx" "$dec1" --calib-size 8
wanted mobilesam && measure mobilesam "$fixtures/mobilesam/encoder.onnx" "$scratch/mobilesam.int8.onnx" "$dec1" --calib-size 8
wanted efficientvit-sam-mini && measure efficientvit-sam-mini "$fixtures/efficientvit-sam-mini/encoder.onnx" \
  "$scratch/efficientvit-sam-mini.int8.onnx" "$dec1" --calib-size 8
wanted sam2-mini && measure sam2-mini "$fixtures/sam2-mini/encoder.onnx" "$scratch/sam2-mini.int8.onnx" \
  "$fixtures/sam2-mini/decoder.onnx" --calib-size 8
if wanted ort-quantize-static-mobilesam; then
  if [[ -f $oracles/qdq_models/mobilesam_pc/model.onnx ]]; then
    measure ort-quantize-static-mobilesam "$fixtures/mobilesam/encoder.onnx" "$oracles/qdq_models/mobilesam_pc/model.onnx" "$dec1"
  else
    echo "== skipping ORT quantize_static MobileSAM: $oracles/qdq_models/mobilesam_pc/model.onnx not found (run the tests once)" >&2
  fi
fi

out="| INT8 encoder | samq vs ORT (deployed) mask mIoU | emb. cosine | ORT optimized vs ORT as written mIoU | emb. cosine | samq INT8 vs FP32 mIoU |
|---|---|---|---|---|---|"
for r in "${rows[@]}"; do out+=$'\n'"$r"; done
echo "$out"
[[ -n $table ]] && echo "$out" > "$table"
exit 0
