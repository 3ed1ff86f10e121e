#!/usr/bin/env bash
# Reproduces the resize-decoder models (`--arch-option upsample=resize`): each starts from a
# trained transposed-convolution model (benchmarks/resize_decoder_init.py copies every weight and
# starts each 1x1 upsampling convolution from the mean of the 2x2 transposed kernel) and is
# fine-tuned for 6 epochs on the data mix of the run it came from, selected on Pratheepan's
# validation split. The Pratheepan seed test split is never used for training or selection.
#  - mobilenet-unet from stage 1 of benchmarks/train_mobilenet_unet.sh (runs/mobilenet-unet-e16)
#  - edge-unet w1.5 from stage 2 of benchmarks/train_edge_unet.sh (runs/edge-unet-w1.5-ft)
# About 35 minutes each on 2 CPU cores (70 together, run side by side).
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
MOBILE_RUN="${MOBILE_RUN:-runs/mobilenet-unet-e16}"
LITE_RUN="${LITE_RUN:-runs/edge-unet-w1.5-ft}"
DATASETS=(--dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen")
COMMON=(--arch-option upsample=resize --img-size 256 --batch-size 16 --seed 0 --oversample pratheepan=8
        --select-on pratheepan --epochs "${FT_EPOCHS:-6}" --lr 5e-4)
mkdir -p runs/prep
python benchmarks/resize_decoder_init.py "$MOBILE_RUN/best.keras" runs/prep/mobile-resize.keras \
  --arch mobilenet-unet --force
skinseg train --arch mobilenet-unet "${COMMON[@]}" "${DATASETS[@]}" --init runs/prep/mobile-resize.keras \
  --out runs/mobile-resize-ft "$@"
python benchmarks/resize_decoder_init.py "$LITE_RUN/best.keras" runs/prep/lite-resize.keras \
  --arch edge-unet --width 1.5 --force
skinseg train --arch edge-unet --width 1.5 "${COMMON[@]}" --oversample folder=0.25 "${DATASETS[@]}" \
  --init runs/prep/lite-resize.keras --out runs/lite-resize-ft "$@"
