"""How much input resolution limits a trained model: its weights rebuilt at several input sizes.

    SKINSEG_DATA=../shared/datasets python benchmarks/input_size.py runs/edge-unet-w1.5-ft/best.keras \
        --sizes 192,256,320,384,512 --split val --out benchmarks/results/input_size.json
    SKINSEG_DATA=../shared/datasets python benchmarks/input_size.py skinseg/shipped/skinseg-lite.keras \
        --sizes 256,320,352,384,448 --split val --out benchmarks/results/input_size_lite.json --keep runs/lite-sizes
    # then, to time them: skinseg export -m runs/lite-sizes/352.keras --format tflite --quantize int8

A fully convolutional model runs at any input size divisible by its total stride, with the same
weights; each size is rebuilt as `skinseg export --img-size` rebuilds it (keras_io.at_input_size).
Scoring one float model at several sizes on a validation split (mean per-image mIoU and skin F1
at each photo's original size, threshold 0.5) separates what the input size costs from what the
weights know. The Pratheepan test split is not used.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("--sizes", default="192,256,320,384,512")
    parser.add_argument("--dataset", default="pratheepan")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--split", default="val")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="also keep each rebuilt model as DIR/SIZE.keras (to export and time it)")
    args = parser.parse_args()

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import evaluate_samples
    from skinseg.keras_io import at_input_size, load_keras_model, save_keras_model
    from skinseg.runtime import Segmenter

    trained = load_keras_model(args.model)
    samples = load_dataset(args.dataset, args.data_dir).split(args.split)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rebuilt = at_input_size(trained, size)
        with tempfile.TemporaryDirectory(prefix="skinseg-input-size-") as tmp:
            path = (args.keep or Path(tmp)) / f"{size}.keras"
            path.parent.mkdir(parents=True, exist_ok=True)
            save_keras_model(rebuilt, path)
            mean = evaluate_samples(Segmenter(path, runtime="keras"), samples)["per_image_mean"]
        rows.append({"input_size": size, "miou2": mean["miou2"], "f1": mean["f1"], "iou": mean["iou"]})
        print(f"{size:4d}  mIoU2 {mean['miou2']:.4f}  F1 {mean['f1']:.4f}  skin IoU {mean['iou']:.4f}")
    result = {"model": str(args.model), "trained_input_size": int(trained.input_shape[1]),
              "dataset": args.dataset, "split": args.split, "images": len(samples), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
