"""How good would the mean of several models be? Validation splits only, to choose distillation teachers.

    SKINSEG_DATA=../shared/datasets python benchmarks/ensemble_validation.py skinseg-lite skinseg-mobile-384 \
        runs/lite-imagenet-mosaic-0.5-e36-seed1/best.keras --also folder=../shared/datasets/sfa \
        --also folder=../shared/datasets/abdomen --out benchmarks/results/ensemble_validation.json

Each model segments each validation photo at its original size as shipped (its own tiled-inference
setting, threshold 0.5); every combination of two or more models is scored on the mean of their
probability maps (mean per-image two-class mIoU and skin F1). The Pratheepan test split is never read.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help="model files or shipped names")
    add_also_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import numpy as np

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.metrics import confusion, summarise
    from skinseg.runtime import Segmenter

    segmenters = [Segmenter(model) for model in args.models]
    rows = []
    for dataset, data_dir, label in validation_datasets(args.also):
        names, truths, maps = [], [], []
        for sample in load_dataset(dataset, data_dir).split("val"):
            image, truth = read_sample(sample)
            names.append(sample.name)
            truths.append(truth)
            maps.append([segmenter.probability(image) for segmenter in segmenters])
        for k in range(1, len(args.models) + 1):
            for combo in itertools.combinations(range(len(args.models)), k):
                predicted = [np.mean([m[i] for i in combo], axis=0) > 0.5 for m in maps]
                mean = summarise(names, [confusion(p, t) for p, t in zip(predicted, truths)])["per_image_mean"]
                models = [args.models[i] for i in combo]
                rows.append({"dataset": label, "models": models, "miou2": mean["miou2"], "f1": mean["f1"]})
                print(f"{label:12s} {' + '.join(models):90s} mIoU2 {mean['miou2']:.4f}  F1 {mean['f1']:.4f}",
                      flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"split": "val", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
