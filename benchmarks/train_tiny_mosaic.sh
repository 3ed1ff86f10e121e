#!/usr/bin/env bash
# skinseg-tiny retrained with mosaics: edge-unet width 1.5 with the resize decoder, trained from
# scratch in one stage (36 epochs at peak 2e-3, --mosaic 0.5, all three training splits with
# Pratheepan 8 times, selected on Pratheepan's validation split), as skinseg-lite's mosaic run
# (benchmarks/train_mosaic.sh) but without pretrained weights, which edge-unet has none of.
# About 40 min on 2 CPU cores. Rule, fixed before training: its int8 export replaces skinseg-tiny
# if it scores 0.01 or more higher on Pratheepan validation (mean per-image mIoU2,
# benchmarks/validation_scores.py --int8) without losing over 0.005 F1 on SFA or abdomen
# validation; test is then read once. The Pratheepan seed test split is never used for training or
# selection.
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
skinseg train --arch edge-unet --width 1.5 --arch-option upsample=resize --img-size 256 --batch-size 16 \
  --seed 0 --oversample pratheepan=8 --select-on pratheepan --epochs "${EPOCHS:-36}" --lr 2e-3 --mosaic 0.5 \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --out "${OUT:-runs/tiny-mosaic}" "$@"
