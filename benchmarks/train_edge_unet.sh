#!/usr/bin/env bash
# Reproduces the shipped skinseg-lite models, seeded: two stages at 256x256 for skinseg-lite and,
# with WITH_384=1, a third at 384x384 (skinseg-lite-384, since withdrawn: skinseg-mobile is faster
# and more accurate; benchmarks/results/edge_model_384.json keeps its numbers).
#  1. edge-unet (width 1.5) from scratch on the training splits of Pratheepan (seed split,
#     repeated 8x), SFA and abdomen, selected on the union of their validation splits.
#  2. Fine-tuning from stage 1 with Pratheepan's photographs in the majority (a seeded quarter of
#     SFA and abdomen stays in so the model keeps them), selected on Pratheepan's validation split.
# The Pratheepan seed test split is never used for training or selection.
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
OUT="${OUT:-runs/edge-unet-w1.5}"
DATASETS=(--dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen")
COMMON=(--arch edge-unet --width 1.5 --img-size 256 --batch-size 16 --seed 0)
skinseg train "${COMMON[@]}" "${DATASETS[@]}" --oversample pratheepan=8 \
  --epochs "${EPOCHS:-20}" --lr 2e-3 --out "$OUT" "$@"
skinseg train "${COMMON[@]}" "${DATASETS[@]}" --oversample pratheepan=8 --oversample folder=0.25 \
  --select-on pratheepan --init "$OUT/best.keras" --epochs "${FT_EPOCHS:-6}" --lr 5e-4 --out "$OUT-ft" "$@"
# 3. skinseg-lite-384: the same fine-tuning from stage 1, at 384x384 input (slower, more accurate).
[ "${WITH_384:-0}" = 1 ] || exit 0
skinseg train "${DATASETS[@]}" --arch edge-unet --width 1.5 --img-size 384 --batch-size 16 --seed 0 \
  --oversample pratheepan=8 --oversample folder=0.25 --select-on pratheepan --init "$OUT/best.keras" \
  --epochs "${FT_EPOCHS:-6}" --lr 5e-4 --out "$OUT-384" "$@"
