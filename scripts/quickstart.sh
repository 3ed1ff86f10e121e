#!/usr/bin/env bash
# The main job end to end: set up .venv, train an edge-unet on Pratheepan (seed split), export it to
# full-integer int8 TFLite calibrated on real training images, and verify its parity on the test split.
#   ARCH=segnet WIDTH=1.0 EPOCHS=12 bash scripts/quickstart.sh   # the 11.7 M-parameter reference SegNet
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH="${ARCH:-edge-unet}"
WIDTH="${WIDTH:-1.5}"
EPOCHS="${EPOCHS:-30}"
RUN="${RUN:-runs/quickstart-${ARCH}-w${WIDTH}}"

if [ ! -x .venv/bin/skinseg ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[train,edge]"
fi
# Use the copy beside the checkout when there is one; otherwise skinseg downloads and verifies it.
if [ -z "${SKINSEG_DATA:-}" ] && [ -d ../shared/datasets/pratheepan ]; then
  export SKINSEG_DATA="$(cd ../shared/datasets && pwd)"
fi
skinseg=.venv/bin/skinseg

if [ -f "$RUN/state.json" ] && grep -q '"finished": true' "$RUN/state.json"; then
  echo "$RUN already trained; reusing it"
elif [ -f "$RUN/last.keras" ]; then
  $skinseg train --resume --out "$RUN"
else
  $skinseg train --dataset pratheepan --split seed --arch "$ARCH" --width "$WIDTH" --img-size 256 \
    --epochs "$EPOCHS" --batch-size 8 --seed 0 --out "$RUN"
fi
$skinseg evaluate -m "$RUN/best.keras" --split test --json "$RUN/eval_test.json" --quiet
$skinseg export -m "$RUN/best.keras" --format tflite --quantize int8 --out "$RUN/best_int8.tflite" --force
$skinseg verify --reference "$RUN/best.keras" --candidate "$RUN/best_int8.tflite" --split test \
  --json "$RUN/verify_int8.json"
