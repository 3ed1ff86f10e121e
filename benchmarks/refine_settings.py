"""Refined-edge settings side by side on validation splits only, to choose them without test.

    SKINSEG_DATA=../shared/datasets python benchmarks/refine_settings.py skinseg-lite-int8 \
        --setting 128,2,1e-4 --setting 256,4,1e-4 --setting 512,8,1e-4 --setting 4096,8,1e-4 \
        --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen \
        --out benchmarks/results/refine_settings.json

Each --setting is GRID,RADIUS,EPS of skinseg/runtime/refine.py: the long side the filter is fitted
on, the window radius in pixels of that grid, and the regulariser. A grid larger than the photo
fits it at full size (the exact guided filter). The model runs once per photo with its default
tiles; every setting filters the same probability, so the differences are the filter's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402


def setting(text: str) -> tuple[int, int, float]:
    grid, radius, eps = text.split(",")
    return int(grid), int(radius), float(eps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="a shipped model name or model file")
    parser.add_argument("--setting", type=setting, action="append", required=True, metavar="GRID,RADIUS,EPS")
    add_also_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.metrics import confusion, summarise
    from skinseg.runtime import Segmenter
    from skinseg.runtime.refine import refine_probability

    segmenter = Segmenter(args.model, refine=False)
    rows = {}
    for dataset, data_dir, label in validation_datasets(args.also):
        samples = load_dataset(dataset, data_dir).split("val")
        names, confusions, seconds = [], {s: [] for s in [None, *args.setting]}, dict.fromkeys(args.setting, 0.0)
        for sample in samples:
            image, truth = read_sample(sample)
            probability = segmenter.probability(image)
            names.append(sample.name)
            confusions[None].append(confusion(probability > segmenter.threshold, truth))
            for s in args.setting:
                start = time.perf_counter()
                refined = refine_probability(image, probability, *s)
                seconds[s] += time.perf_counter() - start
                confusions[s].append(confusion(refined > segmenter.threshold, truth))
        for s, found in confusions.items():
            key = "none" if s is None else ",".join(map(str, s))
            mean = summarise(names, found)["per_image_mean"]
            ms = 0.0 if s is None else 1000 * seconds[s] / len(samples)
            rows.setdefault(key, {})[label] = {"miou2": mean["miou2"], "f1": mean["f1"], "ms_per_photo": ms}
            print(f"{label:12s} {key:16s} mIoU2 {mean['miou2']:.4f}  F1 {mean['f1']:.4f}  {ms:6.1f} ms", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "tiles": segmenter.tiles, "split": "val",
                                    "settings": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
