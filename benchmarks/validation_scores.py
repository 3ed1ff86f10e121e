"""Candidate models side by side on validation splits only, to choose between them without test.

    SKINSEG_DATA=../shared/datasets python benchmarks/validation_scores.py skinseg-lite \
        runs/lite-mosaic-0.5/best.keras --also folder=../shared/datasets/sfa \
        --also folder=../shared/datasets/abdomen --out benchmarks/results/mosaic_validation.json

Each model is scored as shipped would be (mean per-image two-class mIoU and skin F1 at each
photo's original size, threshold 0.5) on Pratheepan's seed validation split and the validation
splits of the --also datasets; with --int8 each is also exported to full-integer TFLite (the
exporter's defaults: calibration on Pratheepan's training split, range equalization, bias
correction) and that file is scored too. The Pratheepan test split is never read, so the choice
made on these numbers stays independent of the split the targets are measured on. With --tiles
each file is scored a second time with tiled inference (skinseg/runtime/tiling.py), keys "..._tiles";
with --refine also with edges refined (skinseg/runtime/refine.py), keys "..._refine" (and with
--tiles "..._tiles_refine"); with --adapt also with the photo's own colour model
(skinseg/runtime/adapt.py), keys "..._adapt" after "_tiles" and before "_refine" (with --tiles and
--refine it scores only "..._tiles_adapt_refine", the default inference plus adaptation). Every
entry keeps its images' mIoU2 too, for paired comparisons.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help=".keras files or shipped float model names")
    add_also_option(parser)
    parser.add_argument("--int8", action="store_true", help="also export and score each model's int8 twin")
    parser.add_argument("--tiles", action="store_true", help="also score each file with tiled inference")
    parser.add_argument("--refine", action="store_true", help="also score each file with refined edges")
    parser.add_argument("--adapt", action="store_true", help="also score each file with colour adaptation")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.evaluation import evaluate
    from skinseg.export import export_model
    from skinseg.models import resolve_model

    rows = []
    with tempfile.TemporaryDirectory(prefix="skinseg-val-") as tmp:
        for i, name in enumerate(args.models):
            files = {"float": resolve_model(name)}
            if args.int8:
                files["int8"] = export_model(files["float"], "tflite", Path(tmp) / f"{i}_int8.tflite",
                                             quantize="int8").path
            row = {"model": name}
            settings = [(False, False, False), (True, False, False), (False, False, True), (True, False, True)]
            settings = [(t, a, r) for t, a, r in settings if (args.tiles or not t) and (args.refine or not r)]
            if args.adapt:
                settings.append((args.tiles, True, args.refine))
            for (kind, path), (tiles, adapt, refine) in itertools.product(files.items(), settings):
                for dataset, data_dir, label in validation_datasets(args.also):
                    key = f"{label}_val_{kind}" + "_tiles" * tiles + "_adapt" * adapt + "_refine" * refine
                    result = evaluate(path, dataset, split="val", data_dir=data_dir, tiles=tiles, adapt=adapt,
                                      refine=refine)
                    mean = result["per_image_mean"]
                    row[key] = {"miou2": mean["miou2"], "f1": mean["f1"], "iou": mean["iou"],
                                "per_image_miou2": [image["miou2"] for image in result["per_image"]]}
                    print(f"{name:40s} {key:28s} mIoU2 {mean['miou2']:.4f}  F1 {mean['f1']:.4f}", flush=True)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"split": "val", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
