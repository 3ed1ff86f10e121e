"""Threshold x colour adaptation on the validation suite, one model call per photo.

Each photo's probability at the model's input size is computed once (with and without adaptation,
which runs there), then brought to the photo's size and thresholded at 0.30 ... 0.70 by the runtime's
own functions, so every cell is what `skinseg validate --threshold T [--adapt]` would score.

    SKINSEG_DATA=../shared/datasets python experiments/host-steps-on-the-suite/sweep.py MODEL --out results/sweep_NAME.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from skinseg.datasets import load_dataset  # noqa: E402
from skinseg.evaluation import read_sample  # noqa: E402
from skinseg.files import atomic_write_json  # noqa: E402
from skinseg.images import covered_size, threshold_levels, upsample_levels  # noqa: E402
from skinseg.metrics import confusion, scores  # noqa: E402
from skinseg.runtime import Segmenter  # noqa: E402
from skinseg.runtime.adapt import adapt_probability  # noqa: E402
from skinseg.runtime import preprocess  # noqa: E402
from skinseg.validation import suite_datasets  # noqa: E402

THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(9)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    segmenter = Segmenter(args.model, num_threads=2, adapt=False)
    size = segmenter.model.input_size
    f1: dict = {}  # "adapt=0|1" -> threshold -> dataset -> [per-photo F1]
    names: dict = {}
    for entry in suite_datasets():
        samples = load_dataset(entry.dataset, entry.data_dir).split("val")
        names[entry.label] = [s.name for s in samples]
        for sample in samples:
            image, truth = read_sample(sample)
            small = preprocess(image, size)
            plain = segmenter.model.run(small)[0]
            covered = covered_size(*image.shape[:2], size)
            for adapt, probability in ((0, plain), (1, adapt_probability(small[0], plain))):
                levels = upsample_levels(probability, (image.shape[1], image.shape[0]), covered)
                for t in THRESHOLDS:
                    mask = threshold_levels(levels, t)
                    f1.setdefault(f"adapt={adapt}", {}).setdefault(str(t), {}).setdefault(entry.label, []).append(
                        scores(confusion(mask, truth))["f1"])
    table = {setting: {t: {"macro_f1": float(np.mean([np.mean(v) for v in by_set.values()])),
                           **{label: float(np.mean(v)) for label, v in by_set.items()}}
                       for t, by_set in by_t.items()} for setting, by_t in f1.items()}
    atomic_write_json(args.out, {"model": args.model, "thresholds": THRESHOLDS, "table": table,
                                 "per_photo_f1": f1, "names": names})
    for setting, by_t in table.items():
        for t, row in by_t.items():
            print(setting, t, " ".join(f"{k} {v:.4f}" for k, v in row.items()))


if __name__ == "__main__":
    main()
