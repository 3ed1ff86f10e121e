"""Colour-adaptation settings side by side on validation splits only, to choose them without test.

    SKINSEG_DATA=../shared/datasets python benchmarks/adapt_settings.py skinseg-lite-int8 \
        --setting 16,0.8,1 --setting 32,0.8,1 --setting 32,0.7,1 --setting 32,0.8,0.5 --setting 32,0.8,0.75 \
        --setting 64,0.8,1 --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen \
        --out benchmarks/results/adapt_settings.json

Each --setting is BINS,CONFIDENT,WEIGHT of skinseg/runtime/adapt.py: histogram cells per colour
channel, the probability above which a pixel is sure skin (and below 1 minus which sure
background), and how much of the colour log-likelihood ratio joins the model's logit. The model
runs once per photo with its default tiles; every setting adapts the same probability, and each
result, like the baseline, then has its edges refined as the model's default does, so the
differences are the adaptation's alone. Each row keeps the paired per-image gain over the
baseline with its standard error and how many images went up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402


def setting(text: str) -> tuple[int, float, float]:
    bins, confident, weight = text.split(",")
    return int(bins), float(confident), float(weight)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="a shipped model name or model file")
    parser.add_argument("--setting", type=setting, action="append", required=True, metavar="BINS,CONFIDENT,WEIGHT")
    add_also_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.metrics import confusion, summarise
    from skinseg.runtime import Segmenter
    from skinseg.runtime.adapt import adapt_probability
    from skinseg.runtime.refine import refine_probability

    segmenter = Segmenter(args.model, adapt=False, refine=False)
    finish = refine_probability if Segmenter(args.model).refine else (lambda rgb, p: p)
    rows = {}
    for dataset, data_dir, label in validation_datasets(args.also):
        names, found, seconds = [], {s: [] for s in [None, *args.setting]}, dict.fromkeys(args.setting, 0.0)
        for sample in load_dataset(dataset, data_dir).split("val"):
            image, truth = read_sample(sample)
            probability = segmenter.probability(image)
            names.append(sample.name)
            found[None].append(confusion(finish(image, probability) > segmenter.threshold, truth))
            for s in args.setting:
                start = time.perf_counter()
                adapted = adapt_probability(image, probability, *s)
                seconds[s] += time.perf_counter() - start
                found[s].append(confusion(finish(image, adapted) > segmenter.threshold, truth))
        base = [row["miou2"] for row in summarise(names, found[None])["per_image"]]
        for s, confusions in found.items():
            summary = summarise(names, confusions)
            key = "none" if s is None else ",".join(map(str, s))
            entry = {k: summary["per_image_mean"][k] for k in ("miou2", "f1")}
            if s is not None:
                gains = [row["miou2"] - b for row, b in zip(summary["per_image"], base)]
                entry.update(gain=statistics.mean(gains), standard_error=statistics.stdev(gains) / len(gains) ** 0.5,
                             images_up=sum(g > 0 for g in gains), images=len(gains),
                             ms_per_photo=1000 * seconds[s] / len(names))
            rows.setdefault(key, {})[label] = entry
            gain = f"  gain {entry['gain']:+.4f} +- {entry['standard_error']:.4f}" if s is not None else ""
            print(f"{label:12s} {key:14s} mIoU2 {entry['miou2']:.4f}  F1 {entry['f1']:.4f}{gain}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "tiles": segmenter.tiles, "split": "val",
                                    "refine_after": finish is refine_probability, "settings": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
