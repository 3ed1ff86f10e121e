"""Calibrating int8 on the tiles a tiled model is run on, judged on validation splits only.

    SKINSEG_DATA=../shared/datasets python benchmarks/tile_calibration.py skinseg-lite skinseg-mobile \
        --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen \
        --out benchmarks/results/tile_calibration.json

skinseg-lite and skinseg-mobile run a 640x480 photo as two overlapping tiles by default
(skinseg/runtime/tiling.py), but their int8 files were calibrated on whole photos squeezed to
256x256: the activation ranges and bias corrections were measured on views with smaller people and
less detail than the ones the files then see. This script exports each float model to int8 twice,
with the exporter's defaults and with `--calib-tiles` (each of the 47 Pratheepan training photos
plus its two tiles), and compares each file with the float model (`skinseg verify`, the model's
default inference: tiles + refine) on Pratheepan's validation split and the --also datasets'.

The rule, fixed on 2026-12-02 before this script first ran: for each model, the tile-calibrated
export replaces its shipped int8 file if, on those validation splits,
  1. its Pratheepan int8 mIoU2 is not below the default export's,
  2. its skin-IoU drop to the float model, summed over the three splits, is smaller than the
     default export's,
  3. its pixel agreement is at least 99.5% on every split,
  4. its SFA and abdomen int8 F1 are each within 0.002 of the default export's,
  5. and it stays within 512 KB with the same ops (so the Edge TPU table still maps 100%).
`--calib-tiles` becomes the exporter's default for tiled models only if skinseg-lite, the default
model, passes. The Pratheepan test split is read once afterwards, for a file that passes, for the
record.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402

MAX_BYTES = 512 * 1024
F1_SLACK = 0.002
MIN_AGREEMENT = 0.995


def score(model: str, path: Path, also) -> dict:
    from skinseg.verification import verify

    scores = {}
    for dataset, data_dir, key in validation_datasets(also):
        result = verify(model, path, dataset, split="val", data_dir=data_dir)
        mean = result["candidate"]["per_image_mean"]
        scores[key] = {"iou_drop": result["iou_drop"], "pixel_agreement": result["pixel_agreement"],
                       "miou2": mean["miou2"], "f1": mean["f1"], "tiles": result["tiles"], "refine": result["refine"]}
        print(f"{model} {path.stem:8s} {key:12s} mIoU2 {mean['miou2']:.4f} F1 {mean['f1']:.4f} "
              f"IoU drop {result['iou_drop']:+.4f} agreement {result['pixel_agreement']:.2%}", flush=True)
    return scores


def judge(default: dict, tiled: dict) -> list[str]:
    """The rule's clauses the tile-calibrated export fails (empty: it passes)."""
    failed = []
    first = next(iter(default["scores"]))  # Pratheepan comes first in validation_datasets
    if tiled["scores"][first]["miou2"] < default["scores"][first]["miou2"]:
        failed.append(f"{first} mIoU2 below the default export's")
    if sum(s["iou_drop"] for s in tiled["scores"].values()) >= sum(s["iou_drop"] for s in default["scores"].values()):
        failed.append("summed IoU drop not smaller")
    failed += [f"{key} agreement under 99.5%" for key, s in tiled["scores"].items() if s["pixel_agreement"] < MIN_AGREEMENT]
    failed += [f"{key} F1 more than {F1_SLACK} below" for key in list(tiled["scores"])[1:]
               if tiled["scores"][key]["f1"] < default["scores"][key]["f1"] - F1_SLACK]
    if tiled["size_bytes"] > MAX_BYTES or tiled["ops"] != default["ops"]:
        failed.append("size or ops changed")
    return failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help="shipped float model names or .keras files whose default is tiled")
    add_also_option(parser, "compared")
    parser.add_argument("--keep", type=Path, default=None, help="keep the exported files in this folder")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.export import export_model
    from skinseg.tflite_file import operators

    rows = []
    with tempfile.TemporaryDirectory(prefix="skinseg-tile-calibration-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for model in args.models:
            row = {"model": model}
            for variant, options in (("default", {}), ("tiles", {"calib_tiles": True})):
                path = folder / f"{Path(model).stem}_{variant}.tflite"
                result = export_model(model, "tflite", path, quantize="int8", force=True, **options)
                row[variant] = {"size_bytes": result.size_bytes, "ops": sorted(op["op"] for op in operators(path)),
                                "calibration": {k: v for k, v in result.metadata["calibration"].items() if k != "names"},
                                "scores": score(model, path, args.also)}
            row["failed"] = judge(row["default"], row["tiles"])
            row["passed"] = not row["failed"]
            print(f"{model}: {'PASSES' if row['passed'] else 'fails: ' + '; '.join(row['failed'])}", flush=True)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"split": "val", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
