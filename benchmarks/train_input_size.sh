#!/usr/bin/env bash
# Fine-tunes skinseg-lite's network at a larger input size (measured in docs/model-card.md, "Not
# shipped: skinseg-lite at a larger input size"). SIZE is the input size; STRIDE=4 starts from the
# output-stride-4 run (benchmarks/train_output_stride.sh, trained first when its folder is missing),
# STRIDE=2 from the shipped skinseg-lite. The recipe is skinseg-mobile-384's stage 2: Pratheepan's
# training split 8 times and a seeded quarter of SFA and abdomen, 4 epochs at 5e-4, selected on
# Pratheepan's validation split. The Pratheepan seed test split is never used for training or
# selection. 6-10 minutes on 2 CPU cores:
#   SIZE=320 bash benchmarks/train_input_size.sh                # runs/lite-320-ft
#   SIZE=352 bash benchmarks/train_input_size.sh                # runs/lite-352-ft
#   SIZE=352 STRIDE=4 bash benchmarks/train_input_size.sh       # runs/os4-352-ft
#   SIZE=384 STRIDE=4 bash benchmarks/train_input_size.sh       # runs/os4-384-ft
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
SIZE="${SIZE:-352}"
STRIDE="${STRIDE:-2}"
if [ "$STRIDE" = 4 ]; then
  STRIDE4="${STRIDE4:-runs/lite-os4-ft}"
  [ -f "$STRIDE4/best.keras" ] || OUT="$STRIDE4" bash benchmarks/train_output_stride.sh
  ARGS=(--arch-option output_stride=4 --init "$STRIDE4/best.keras")
  OUT="${OUT:-runs/os4-$SIZE-ft}"
else
  ARGS=(--init skinseg-lite)
  OUT="${OUT:-runs/lite-$SIZE-ft}"
fi
skinseg train --arch mobilenet-unet --arch-option upsample=resize "${ARGS[@]}" --img-size "$SIZE" \
  --batch-size 16 --seed 0 --oversample pratheepan=8 --oversample folder=0.25 --select-on pratheepan \
  --epochs "${FT_EPOCHS:-4}" --lr 5e-4 \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --out "$OUT" "$@"
