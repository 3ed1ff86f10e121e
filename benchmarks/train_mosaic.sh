#!/usr/bin/env bash
# Fine-tunes skinseg-lite with 2x2 mosaics (`--mosaic`, skinseg/pipeline.py): the recipe of "skinseg-lite
# trained 8 epochs more" in docs/model-card.md (its stage-1 data mix, 8 epochs at peak 5e-4, selected on
# Pratheepan's validation split), with a share MOSAIC of the examples shown as four photos at half scale.
# The Pratheepan seed test split is never used for training or selection. About 50 min on 2 CPU cores.
#   MOSAIC=0.5 bash benchmarks/train_mosaic.sh        # runs/lite-mosaic-0.5
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
MOSAIC="${MOSAIC:-0.5}"
skinseg train --arch mobilenet-unet --arch-option upsample=resize --img-size "${SIZE:-256}" --batch-size 16 \
  --seed 0 --oversample pratheepan=8 --select-on pratheepan --epochs "${EPOCHS:-8}" --lr "${LR:-5e-4}" \
  --mosaic "$MOSAIC" --init "${INIT:-skinseg-lite}" \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --out "${OUT:-runs/lite-mosaic-$MOSAIC}" "$@"
