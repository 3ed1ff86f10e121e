"""Averages the weights of models of one network into one model (a "model soup").

    python benchmarks/weight_average.py runs/A/best.keras runs/B/best.keras --out runs/soup-ab/best.keras

Fine-tunes that start from the same weights usually stay in one basin of the loss, where the
mean of their weights scores at least as well as each (Wortsman et al., "Model soups", 2022) and
costs nothing at inference: the soup is one model of the same size. Every float variable is the
plain mean, batch-norm statistics included; integer variables (seed states) come from the first
model. The runs' config.json is copied from the first, so exports record how its parts were made.

Candidates and the rule, fixed before any soup was scored: the soups of the ImageNet-encoder
mosaic runs in benchmarks/train_mosaic.sh (e36 = the shipped skinseg-lite's run)
  A  e36 best + e36 last
  B  e36 best + e36-stage2 best
  C  e36 best + the 24-epoch run's best
  D  the best.keras of all four ImageNet-encoder runs (24, 24-stage2, 36, 36-stage2)
are scored by validation_scores.py --int8; the best Pratheepan validation mIoU2 (one call)
replaces skinseg-lite only if it beats it there by 0.01 or more without losing over 0.005 F1 on
SFA or abdomen validation (the replacement rule of the earlier candidates). Test is read once,
for that pick alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.keras_io import load_keras_model, save_keras_model

    models = [load_keras_model(path) for path in args.models]
    shapes = [[tuple(v.shape) for v in m.weights] for m in models]
    if any(s != shapes[0] for s in shapes):
        raise SystemExit("the models are not the same network; only one network's weights can be averaged")
    soup = models[0]
    for i, variable in enumerate(soup.weights):
        values = [np.asarray(m.weights[i].numpy()) for m in models]
        if np.issubdtype(values[0].dtype, np.floating):
            variable.assign(np.mean(values, axis=0).astype(values[0].dtype))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_keras_model(soup, args.out)
    config = args.models[0].parent / "config.json"
    if config.is_file():
        shutil.copy(config, args.out.parent / "config.json")
    (args.out.parent / "soup.json").write_text(json.dumps({"averaged": [str(p) for p in args.models]}, indent=2) + "\n")
    print(f"{args.out}: mean of {len(models)} models")


if __name__ == "__main__":
    main()
