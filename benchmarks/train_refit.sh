#!/usr/bin/env bash
# The final refit of skinseg-lite: the recipe of the 12-epoch control (runs/lite-ft-e12-control, "distilled from
# two teachers" in docs/model-card.md: 12 epochs from skinseg-lite on its data mix, mosaics 0.5, peak 5e-4),
# with Pratheepan's 16 validation photos added to its 47 training photos (`--train-on-val pratheepan`, oversampled
# 8 times like them). The Pratheepan seed test split is never used for training or selection.
#   OUT=runs/lite-refit bash benchmarks/train_refit.sh        # about 35 min on the 2-core Xeon
# Why: every recipe change tried since skinseg-lite was judged on those 16 photos, and none beat it by the 0.01
# the replacement rule asks; the control showed that the recipe's last epoch matches skinseg-lite there (its best
# epoch was its last, 12: int8 0.859 in one call against 0.857). A third more Pratheepan photos is the one change
# left that validation cannot score, so the rule below does not use Pratheepan validation.
# Its rule, fixed on 2026-12-02 before it trained: last.keras (epoch 12, no selection) replaces skinseg-lite, and
# skinseg-lite-int8 becomes its export, if its int8 file (default inference, tiles + refine,
# benchmarks/validation_scores.py --int8 --tiles --refine) loses at most 0.005 skin F1 on SFA and on abdomen
# validation against skinseg-lite-int8's, and keeps the size (512 KB), Edge TPU (100%) and parity bounds (int8 IoU
# drop <= 0.005, pixel agreement >= 99.5%, read with verify on the test split, as for every shipped pair). Test
# mIoU/F1 is then read once and reported whatever it is: it does not decide. best.keras (picked on SFA and abdomen
# validation) is not used. skinseg-lite-camera and its routing stay as they are.
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
skinseg train --arch mobilenet-unet --arch-option upsample=resize --img-size 256 --batch-size 16 \
  --seed 0 --oversample pratheepan=8 --train-on-val pratheepan --select-on folder --epochs 12 --lr 5e-4 \
  --mosaic 0.5 --init skinseg-lite \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --out "${OUT:-runs/lite-refit}" "$@"
# Result (2026-12-02, runs/lite-refit, 12 epochs in 33 min): SFA and abdomen validation F1 kept (0.9658, 0.9632
# against 0.9656, 0.9632), but on the test split its int8 file loses 0.0080 skin IoU to its float model with the
# default inference (pixel agreement 99.43%), outside the parity bounds: fails, not shipped (docs/model-card.md).
