"""Does averaging a model's map with its map of the mirrored photo pay? Validation splits only.

    SKINSEG_DATA=../shared/datasets python benchmarks/flip_validation.py skinseg-lite-int8 \
        --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen \
        --out benchmarks/results/flip_validation.json

Each photo is scored four ways (mean per-image two-class mIoU and skin F1, threshold 0.5): one call
or tiled (skinseg/runtime/tiling.py), each alone or averaged with the mirrored photo's map mirrored
back, which doubles the calls. The Pratheepan test split is never read.
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
    parser.add_argument("model", help="a model file or shipped name")
    add_also_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import numpy as np

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.metrics import confusion, summarise
    from skinseg.runtime import Segmenter

    rows = []
    for (dataset, data_dir, label), tiles in itertools.product(validation_datasets(args.also), (False, True)):
        segmenter = Segmenter(args.model, tiles=tiles)
        names, plain, mirrored = [], [], []
        for sample in load_dataset(dataset, data_dir).split("val"):
            image, truth = read_sample(sample)
            probability = segmenter.probability(image)
            back = segmenter.probability(np.ascontiguousarray(image[:, ::-1]))[:, ::-1]
            names.append(sample.name)
            plain.append(confusion(probability > 0.5, truth))
            mirrored.append(confusion((probability + back) / 2 > 0.5, truth))
        for flip, confusions in ((False, plain), (True, mirrored)):
            mean = summarise(names, confusions)["per_image_mean"]
            rows.append({"dataset": label, "tiles": tiles, "flip": flip, "miou2": mean["miou2"], "f1": mean["f1"]})
            print(f"{label:12s} {'tiled' if tiles else 'one call':9s} {'+ flip' if flip else '':7s} "
                  f"mIoU2 {mean['miou2']:.4f}  F1 {mean['f1']:.4f}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "split": "val", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
