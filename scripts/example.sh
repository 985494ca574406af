#!/usr/bin/env bash
# Builds samq and runs it on a bundled fixture: inspects the MobileSAM encoder, then runs the
# official SAM decoder on the stored prompt inputs and writes its outputs as .npy.
set -euo pipefail
cd "$(dirname "$0")/.."
FIX=${SAMQ_FIXTURES:-../shared/fixtures}
BUILD=${BUILD:-build}
OUT=${OUT:-out/example}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSAMQ_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target samq -j"$(nproc)"
SAMQ="$BUILD/samq"
"$SAMQ" inspect "$FIX/mobilesam/encoder.onnx"
C="$FIX/mobilesam/cases"
"$SAMQ" run "$FIX/sam1-decoder/decoder.onnx" \
  --input image_embeddings="$C/image_embeddings.npy" \
  --input point_coords="$C/decoder_in_point_coords.npy" \
  --input point_labels="$C/decoder_in_point_labels.npy" \
  --input mask_input="$C/decoder_in_mask_input.npy" \
  --input has_mask_input="$C/decoder_in_has_mask_input.npy" \
  --input orig_im_size="$C/decoder_in_orig_im_size.npy" \
  --out-dir "$OUT"
echo "decoder outputs written to $OUT"
# End to end: segment a photo with MobileSAM from a box and a point; writes masks, logits,
# overlay.png and result.json (the fixtures' weights are random, so the mask is a noise blob).
"$SAMQ" segment --encoder "$FIX/mobilesam/encoder.onnx" --decoder "$FIX/sam1-decoder/decoder.onnx" \
  --image "$FIX/images/groceries.jpg" --box 100,100,400,400 --point 250,250 --out-dir "$OUT/segment"
echo "segmentation written to $OUT/segment (see overlay.png)"
