#!/usr/bin/env bash
# Reproduces runs/segnet-ref: the reference SegNet (width 1.0, 11.7 M parameters) trained on the
# Pratheepan seed split at 256x256 on the CPU, 12 epochs (about 20 minutes on 2 idle cores).
set -euo pipefail
skinseg train --dataset pratheepan --split seed --arch segnet --width 1.0 --img-size 256 \
  --epochs "${EPOCHS:-12}" --batch-size 8 --lr 1e-3 --seed 0 --out "${OUT:-runs/segnet-ref}" "$@"
skinseg evaluate -m "${OUT:-runs/segnet-ref}/best.keras" --dataset pratheepan --split test \
  --json "${OUT:-runs/segnet-ref}/eval_test.json" --per-image
