"""Skin-probability thresholds side by side on validation splits only, to choose one without test.

    SKINSEG_DATA=../shared/datasets python benchmarks/threshold_validation.py skinseg-lite-int8 \
        --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen \
        --out benchmarks/results/threshold_validation.json

Every photo runs once through the model with its default inference (for skinseg-lite-int8: tiles,
refined edges, black-and-white photos to skinseg-lite-camera-int8), and each threshold cuts the
same probability, so the differences are the threshold's alone.

The rule, fixed on 2026-12-06 before this first ran: the shipped pair's threshold (models.json
"inference") changes from 0.5 to the threshold with the highest mean Pratheepan validation mIoU2
only if that gains 0.005 or more over 0.5, at least twice its standard error over the 16 images
(the same probabilities cut twice, so the per-image differences measure it), and SFA and abdomen
validation F1 each lose no more than 0.002 at it. The best of several thresholds on 16 photos
overstates its gain, which is why the gain must clear both bars. The test split is not read here.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from record_refine import paired_gain  # noqa: E402
from validation_sets import add_also_option, validation_datasets  # noqa: E402

DEFAULT = 0.5
MIN_GAIN, MIN_STANDARD_ERRORS, MAX_F1_LOSS = 0.005, 2.0, 0.002


def threshold_list(text: str) -> list[float]:
    return sorted({round(float(t), 4) for t in text.split(",")} | {DEFAULT})


def verdict(scores: dict, reference: str) -> dict:
    """The rule above, applied to {threshold: {dataset label: scores}}; ``reference`` labels Pratheepan."""
    best = max(scores, key=lambda t: scores[t][reference]["miou2"])
    gain, error = paired_gain(scores[DEFAULT][reference], scores[best][reference])
    f1_losses = {label: scores[DEFAULT][label]["f1"] - scores[best][label]["f1"]
                 for label in scores[DEFAULT] if label != reference}
    met = (best != DEFAULT and gain >= MIN_GAIN and gain >= MIN_STANDARD_ERRORS * error
           and all(loss <= MAX_F1_LOSS for loss in f1_losses.values()))
    return {"best": best, "gain": gain, "standard_error": error, "f1_losses": f1_losses, "met": met}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="a shipped model name or model file")
    parser.add_argument("--thresholds", type=threshold_list, default=threshold_list("0.3,0.35,0.4,0.45,0.55,0.6,0.65,0.7"),
                        help="comma-separated thresholds; 0.5 is always scored")
    add_also_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.metrics import confusion, summarise
    from skinseg.runtime import Segmenter

    segmenter = Segmenter(args.model)
    scores = {t: {} for t in args.thresholds}
    datasets = validation_datasets(args.also)
    for dataset, data_dir, label in datasets:
        samples = load_dataset(dataset, data_dir).split("val")
        names, confusions = [], {t: [] for t in args.thresholds}
        for sample in samples:
            image, truth = read_sample(sample)
            probability = segmenter.probability(image)
            names.append(sample.name)
            for t in args.thresholds:
                confusions[t].append(confusion(probability > t, truth))
        for t, found in confusions.items():
            summary = summarise(names, found)
            mean = summary["per_image_mean"]
            scores[t][label] = {"miou2": mean["miou2"], "f1": mean["f1"],
                                "per_image_miou2": [image["miou2"] for image in summary["per_image"]]}
            print(f"{label:12s} threshold {t:.2f}  mIoU2 {mean['miou2']:.4f}  F1 {mean['f1']:.4f}", flush=True)
    result = verdict(scores, datasets[0][2])
    print(f"best {result['best']:.2f}: Pratheepan gain {result['gain']:+.4f} +- {result['standard_error']:.4f}, "
          f"F1 losses {', '.join(f'{k} {v:+.4f}' for k, v in result['f1_losses'].items())}: "
          f"rule {'met' if result['met'] else 'not met'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": args.model, "tiles": segmenter.tiles, "refine": segmenter.refine,
                                    "split": "val", "verdict": result,
                                    "thresholds": {str(t): s for t, s in scores.items()}}, indent=2) + "\n")


if __name__ == "__main__":
    main()
