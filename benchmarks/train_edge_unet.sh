#!/usr/bin/env bash
# Reproduces the shipped skinseg-lite model: edge-unet (width 1.5) trained at 256x256 on the
# training splits of Pratheepan (seed split, repeated 8x), SFA and abdomen, selected on the union
# of their validation splits. The Pratheepan seed test split is never used for training or selection.
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
skinseg train --arch edge-unet --width 1.5 --img-size 256 \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --oversample pratheepan=8 --epochs "${EPOCHS:-20}" --batch-size 16 --lr 2e-3 --seed 0 \
  --out "${OUT:-runs/edge-unet-w1.5}" "$@"
