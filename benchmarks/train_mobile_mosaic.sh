#!/usr/bin/env bash
# skinseg-mobile and skinseg-mobile-384 retrained with mosaics: benchmarks/train_mobilenet_unet.sh
# (transposed-convolution decoder, the Edge TPU-safe pair) with --mosaic 0.5 in both stages and
# stage 1 lengthened to 24 epochs, as skinseg-lite's mosaic run (benchmarks/train_mosaic.sh).
# About 45 min on 2 CPU cores. Rule, fixed before training: each stage's int8 export replaces its
# shipped counterpart if it scores 0.01 or more higher on Pratheepan validation (mean per-image mIoU2,
# benchmarks/validation_scores.py --int8) without losing over 0.005 F1 on SFA or abdomen
# validation; test is read once for each replacement. The Pratheepan seed test split is never used
# for training or selection.
set -euo pipefail
EPOCHS="${EPOCHS:-24}" OUT="${OUT:-runs/mobile-mosaic}" bash "$(dirname "$0")/train_mobilenet_unet.sh" --mosaic 0.5 "$@"
