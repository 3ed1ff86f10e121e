#!/usr/bin/env bash
# Fine-tunes skinseg-lite with 2x2 mosaics (`--mosaic`, skinseg/pipeline.py): the recipe of "skinseg-lite
# trained 8 epochs more" in docs/model-card.md (its stage-1 data mix, 8 epochs at peak 5e-4, selected on
# Pratheepan's validation split), with a share MOSAIC of the examples shown as four photos at half scale.
# The Pratheepan seed test split is never used for training or selection. About 12 min on 2 CPU cores.
#   MOSAIC=0.5 bash benchmarks/train_mosaic.sh                          # runs/lite-mosaic-0.5
#   MOSAIC=0.75 bash benchmarks/train_mosaic.sh                         # runs/lite-mosaic-0.75
#   OUT=runs/lite-mosaic-0.5-grid3 bash benchmarks/train_mosaic.sh --mosaic-grid 3
#   INIT=imagenet EPOCHS=24 LR=1e-3 OUT=runs/lite-imagenet-mosaic-0.5 bash benchmarks/train_mosaic.sh
#   INIT=imagenet EPOCHS=36 LR=1e-3 OUT=runs/lite-imagenet-mosaic-0.5-e36 bash benchmarks/train_mosaic.sh   # shipped
#   INIT=imagenet EPOCHS=36 LR=1e-3 OUT=runs/lite-imagenet-mosaic-0.5-e36-seed1 bash benchmarks/train_mosaic.sh --seed 1
#   INIT=imagenet EPOCHS=36 LR=1e-3 OUT=runs/lite-camera bash benchmarks/train_mosaic.sh \
#       --exposure 1 --white-balance 0.5 --grayscale 0.1           # camera changes (model card, its own rule)
#   EPOCHS=12 OUT=runs/lite-camera-ft bash benchmarks/train_mosaic.sh --exposure 1 --white-balance 0.5 --grayscale 0.1
#   EPOCHS=12 OUT=runs/lite-context-ft bash benchmarks/train_mosaic.sh --arch-option context=true
#       # skinseg-lite plus a global-context branch at the bottleneck, started from skinseg-lite with the
#       # branch adding zero: the recipe of runs/lite-ft-e12-control but for the branch. Its rule, fixed
#       # before it trained: it replaces skinseg-lite if its int8 file gains >= 0.01 Pratheepan validation
#       # mIoU2 in one call, is not below skinseg-lite tiled (the default), and loses <= 0.005 F1 on SFA
#       # and abdomen validation (benchmarks/validation_scores.py --int8, with and without --tiles).
#   INIT=imagenet EPOCHS=24 LR=1e-3 OUT=runs/lite-context-imagenet-e24 bash benchmarks/train_mosaic.sh \
#       --arch-option context=true   # the branch trained from the start, against the 24-epoch run without
#       # it (runs/lite-imagenet-mosaic-0.5, 0.855 int8); the same rule, fixed before it trained
#   INIT=imagenet EPOCHS=24 LR=1e-3 OUT=runs/lite-width-1.5-e24 bash benchmarks/train_mosaic.sh --width 1.5
#       # the decoder 1.5x as wide (96, 48, 36 channels; +15,000 parameters, the encoder is fixed), against
#       # the 24-epoch run at width 1 (runs/lite-imagenet-mosaic-0.5, 0.855 int8). Its rule, fixed before
#       # it trained: it replaces skinseg-lite if its int8 file gains >= 0.01 Pratheepan validation mIoU2
#       # over skinseg-lite in one call, is not below skinseg-lite tiled, loses <= 0.005 F1 on SFA and
#       # abdomen validation, and stays within 512 KB and 5 ms; test is then read once, for it alone.
#       # (interrupted after epoch 3 and continued with --resume, as the run folder allows)
#       # Result: int8 0.851 in one call and 0.864 tiled on Pratheepan validation: fails; not shipped, test not read.
#   EPOCHS=12 OUT=runs/lite-camera-ft bash benchmarks/train_mosaic.sh --exposure 1 --white-balance 0.5 --grayscale 0.1
#       # rerun on 2026-12-02 as a candidate extra model, skinseg-lite-camera, for photos from other cameras,
#       # lights and scanned prints; the default stays skinseg-lite. Its rule, fixed before it trained: it ships
#       # beside skinseg-lite if its int8 file on validation, one call per photo (camera_robustness.py
#       # --against results/camera_lite.json), gains >= 0.03 mean mIoU2 over the six camera changes on
#       # Pratheepan and on abdomen, loses <= 0.015 Pratheepan mIoU2 and <= 0.015 F1 on SFA and abdomen as
#       # is, and its int8 file keeps the parity, size and Edge TPU bounds; tiles and refine are then kept
#       # on for it only if their rules pass for it. Test is read once, after, for the record only.
#   EPOCHS=12 OUT=runs/lite-ema-ft bash benchmarks/train_mosaic.sh --ema 0.998
#       # the 12-epoch control's recipe (runs/lite-ft-e12-control: int8 0.859 in one call on Pratheepan validation)
#       # with a moving average of the weights (momentum 0.998, about 4 of its 118-step epochs), which is what is
#       # validated and saved. Its rule, fixed on 2026-12-02 before it trained: best.keras replaces skinseg-lite if
#       # its int8 file gains >= 0.01 Pratheepan validation mIoU2 over skinseg-lite-int8 in one call (0.857, so
#       # >= 0.867), is not below skinseg-lite-int8 tiled (0.877), loses <= 0.005 F1 on SFA and abdomen validation
#       # (benchmarks/validation_scores.py --int8, with and without --tiles), and keeps the 512 KB, 5 ms, Edge TPU
#       # and parity bounds; test is then read once, for it alone.
#       # Result (runs/lite-ema-ft, 31 min): best epoch 2, int8 0.854 in one call and 0.865 tiled: fails; not shipped,
#       # test not read (docs/model-card.md).
#   EPOCHS=12 OUT=runs/lite-aspect-ft bash benchmarks/train_mosaic.sh --aspect 1.67 --min-scale 0.5
#       # the 12-epoch control's recipe with crops squeezed or stretched up to 1.67x (default 1.25) and zoomed up
#       # to 2x (default 1.67x): tiled inference, the default, shows a 640x480 photo's people 1.67x wider than the
#       # whole photo squashed to 256x256 does, a geometry the default crops almost never make. Its rule, fixed on
#       # 2026-12-02 before it trained: best.keras replaces skinseg-lite if its int8 file tiled gains >= 0.01
#       # Pratheepan validation mIoU2 over skinseg-lite-int8 tiled (0.877, so >= 0.887), is not below
#       # skinseg-lite-int8 in one call (0.857), loses <= 0.005 F1 on SFA and abdomen validation, and keeps the
#       # 512 KB, 5 ms, Edge TPU and parity bounds; test is then read once, for it alone.
#       # Result (runs/lite-aspect-ft, 27 min): best epoch 12, int8 0.863 in one call and 0.873 tiled: fails; not
#       # shipped, test not read (docs/model-card.md).
#   python benchmarks/extra_block_init.py skinseg-lite --out runs/lite-extra-block-init.keras
#   EPOCHS=12 INIT=runs/lite-extra-block-init.keras OUT=runs/lite-extra-block-ft bash benchmarks/train_mosaic.sh \
#       --arch-option extra_block=true
#   INIT=imagenet EPOCHS=36 LR=1e-3 OUT=runs/lite-extra-block-imagenet-e36 bash benchmarks/train_mosaic.sh \
#       --arch-option extra_block=true
#       # skinseg-lite with one more inverted residual block at the bottleneck (--arch-option extra_block=true:
#       # 64 -> 384 -> 64 channels at stride 16, expansion and depthwise layers from MobileNetV2's 11th block,
#       # starting as the identity; int8 file 511,992 bytes), first as the 12-epoch control's fine-tune from
#       # skinseg-lite (the init file holds skinseg-lite's weights and the block's ImageNet layers), then as the
#       # shipped recipe from ImageNet. Their rule, fixed on 2026-12-02 before either trained: of the two, the
#       # best.keras whose int8 file scores higher on Pratheepan validation in one call replaces skinseg-lite if
#       # that file gains >= 0.01 Pratheepan validation mIoU2 over skinseg-lite-int8 in one call (0.857, so
#       # >= 0.867), is not below skinseg-lite-int8 tiled (0.877), loses <= 0.005 F1 on SFA and abdomen
#       # validation (benchmarks/validation_scores.py --int8, with and without --tiles), and keeps the 512 KB,
#       # 5 ms, Edge TPU and parity bounds; if only one passes, that one. Test is then read once, for it alone.
#       # Result (18 and 56 min): int8 0.858 and 0.857 in one call, 0.869 and 0.868 tiled on Pratheepan validation
#       # (benchmarks/results/extra_block_validation.json): both fail; not shipped, test not read (docs/model-card.md).
#   INIT=imagenet EPOCHS=36 LR=1e-3 OUT=runs/lite-wd-0.05-e36 bash benchmarks/train_mosaic.sh --weight-decay 0.05
#       # the shipped recipe with AdamW's decoupled weight decay at 0.05 instead of 1e-4. Every step shrinks each
#       # weight by learning rate x decay, so 1e-4 at a peak rate of 1e-3 removes about 0.02% of a weight over the
#       # whole run: the recipe was never regularised by it, while it fits its training photos far better than
#       # validation (int8 mIoU2 0.923 on Pratheepan train, 0.857 on val). 0.05 is the usual AdamW value for
#       # convolutional networks and takes about 10% off a weight no gradient holds up. Its rule, fixed on
#       # 2026-12-06 before it trained: best.keras replaces skinseg-lite if its int8 file gains >= 0.01 Pratheepan
#       # validation mIoU2 over skinseg-lite-int8 in one call (0.857, so >= 0.867), is not below skinseg-lite-int8
#       # tiled (0.877), loses <= 0.005 F1 on SFA and abdomen validation (benchmarks/validation_scores.py --int8,
#       # with and without --tiles), and keeps the 512 KB, 5 ms, Edge TPU and parity bounds; test is then read
#       # once, for it alone.
#       # Result (72 min on the 2-core EPYC): best epoch 20, int8 0.852 in one call and 0.860 tiled on Pratheepan
#       # validation, abdomen F1 0.951 (0.962): fails; not shipped, test not read
#       # (benchmarks/results/weight_decay_validation.json, docs/model-card.md).
#   INIT=imagenet EPOCHS=36 LR=1e-3 OUT=runs/lite-select-image-miou2-e36 bash benchmarks/train_mosaic.sh \
#       --select-metric image-miou2
#       # the shipped recipe, seed and data unchanged, with best.keras picked by the mean of each Pratheepan
#       # validation photo's two-class IoU (the target's measure) instead of skin IoU pooled over the 16 photos'
#       # pixels, where the few photos with most skin outweigh the rest. (Correction, made while it trained: it
#       # does not retrace skinseg-lite's epochs, whose batches came from tf.data's iteration state before the
#       # pipeline keyed its draws on seed and epoch; like the weight-decay run it trains on other draws of the
#       # same augmentation. metrics.csv logs pooled IoU too, so which epoch that would have kept is on record.) The kept epoch's validation score is raised by choosing it on that score, so this rule is
#       # easier to pass than for the earlier candidates; it is kept the same so that they stay comparable. Its
#       # rule, fixed on 2026-12-06 before it trained: best.keras replaces skinseg-lite if its int8 file gains
#       # >= 0.01 Pratheepan validation mIoU2 over skinseg-lite-int8 in one call (0.857, so >= 0.867), is not
#       # below skinseg-lite-int8 tiled (0.877), loses <= 0.005 F1 on SFA and abdomen validation
#       # (benchmarks/validation_scores.py --int8, with and without --tiles), and keeps the 512 KB, 5 ms, Edge TPU
#       # and parity bounds; test is then read once, for it alone.
#       # Result (72 min on the 2-core EPYC): best epoch 28 by per-photo mIoU2 (pooled IoU would have kept 23), int8
#       # 0.852 in one call and 0.871 tiled on Pratheepan validation: fails; not shipped, test not read
#       # (benchmarks/results/select_image_miou2_validation.json, docs/model-card.md).
# How the shipped model is chosen among these, fixed before any of them was scored on test: the run
# whose int8 export scores best on Pratheepan validation (mean per-image mIoU2,
# benchmarks/validation_scores.py --int8) is fine-tuned once more with Pratheepan in the majority
# (STAGE2=1: 4 epochs at 2.5e-4 on Pratheepan 8 times plus a seeded quarter of SFA and abdomen, as
# skinseg-mobile-384's stage 2, from INIT=that run's best.keras) and the better of the two on that
# score is the pick. It replaces skinseg-lite if it beats it there by 0.01 or more without losing
# over 0.005 F1 on SFA or abdomen validation. Test is then read once, for the pick alone.
set -euo pipefail
DATA="${SKINSEG_DATA:-../shared/datasets}"
MOSAIC="${MOSAIC:-0.5}"
MIX=()
if [ "${STAGE2:-0}" = 1 ]; then
  MIX=(--oversample folder=0.25)
  EPOCHS="${EPOCHS:-4}" LR="${LR:-2.5e-4}"
fi
skinseg train --arch mobilenet-unet --arch-option upsample=resize --img-size "${SIZE:-256}" --batch-size 16 \
  --seed 0 --oversample pratheepan=8 "${MIX[@]}" --select-on pratheepan --epochs "${EPOCHS:-8}" --lr "${LR:-5e-4}" \
  --mosaic "$MOSAIC" --init "${INIT:-skinseg-lite}" \
  --dataset pratheepan="$DATA/pratheepan" --dataset folder="$DATA/sfa" --dataset folder="$DATA/abdomen" \
  --out "${OUT:-runs/lite-mosaic-$MOSAIC}" "$@"
