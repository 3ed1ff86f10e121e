"""int8 export settings side by side, judged on validation splits only.

    SKINSEG_DATA=../shared/datasets python benchmarks/int8_parity.py runs/lite-imagenet-mosaic-0.5-e36/best.keras \
        --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen \
        --calib-also ../shared/datasets/sfa --out benchmarks/results/int8_parity_mosaic.json

Exports one float model to full-integer int8 several ways (the exporter's defaults; without bias
correction; without range equalization; without either; calibrated on all 47 or on 100 images of
SFA's training split) and compares each file with the float model (`skinseg verify`: skin-IoU
drop of the per-image mean and pixel agreement) on Pratheepan's validation split and the --also
datasets' validation splits, none of which any calibration set draws from. The Pratheepan test
split is not read, so a setting chosen here is not chosen on the split the parity targets are
measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402

VARIANTS = {
    "default": {},
    "no-bias-correction": {"bias_correction": False},
    "no-equalize": {"equalize": False},
    "neither": {"equalize": False, "bias_correction": False},
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    add_also_option(parser, "compared")
    parser.add_argument("--calib-also", default=None, metavar="DIR",
                        help="also calibrate on 100 training images of this folder dataset")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.export import export_model
    from skinseg.verification import verify

    variants = dict(VARIANTS)
    if args.calib_also:
        variants[f"calibrated on {Path(args.calib_also).name}"] = {
            "calib_dataset": "folder", "calib_data_dir": args.calib_also, "calib_samples": 100}
    rows = []
    with tempfile.TemporaryDirectory(prefix="skinseg-int8-parity-") as tmp:
        for i, (name, options) in enumerate(variants.items()):
            path = export_model(args.model, "tflite", Path(tmp) / f"{i}.tflite", quantize="int8", **options).path
            row = {"variant": name, "options": options}
            for dataset, data_dir, key in validation_datasets(args.also):
                result = verify(args.model, path, dataset, split="val", data_dir=data_dir)
                row[key] = {"iou_drop": result["iou_drop"], "pixel_agreement": result["pixel_agreement"]}
                print(f"{name:28s} {key:12s} IoU drop {result['iou_drop']:+.4f}  "
                      f"agreement {result['pixel_agreement']:.2%}", flush=True)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": str(args.model), "split": "val", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
