#!/usr/bin/env bash
# Reproduces skinseg-lite with output_stride=4 (`--arch-option output_stride=4`): the decoder stops
# at 1/4 resolution and the logits are resized 4x, so nothing of the decoder runs at half
# resolution. It starts from the shipped skinseg-lite (every shared weight; the logits, whose input
# is now 32 channels wide, start fresh) and is fine-tuned on skinseg-lite's data mix (all three
# training splits, Pratheepan 8 times), selected on Pratheepan's validation split. The Pratheepan
# seed test split is never used for training or selection. About 40 minutes on 2 CPU cores.
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
mkdir -p runs/prep
python benchmarks/resize_decoder_init.py skinseg/shipped/skinseg-lite.keras runs/prep/lite-os4.keras \
  --arch mobilenet-unet --output-stride 4 --force
skinseg train --arch mobilenet-unet --arch-option upsample=resize --arch-option output_stride=4 \
  --img-size 256 --batch-size 16 --seed 0 --oversample pratheepan=8 --select-on pratheepan \
  --epochs "${FT_EPOCHS:-8}" --lr 5e-4 \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --init runs/prep/lite-os4.keras --out "${OUT:-runs/lite-os4-ft}" "$@"
