"""Copies a trained edge-unet or mobilenet-unet run into the package as a shipped pair of models.

    python benchmarks/ship_edge_model.py runs/edge-unet-w1.5-ft benchmarks/results/edge_model.json
    python benchmarks/ship_edge_model.py runs/mobilenet-unet-384 benchmarks/results/mobilenet_unet_384.json \
        --name skinseg-mobile-384 --description "ImageNet-pretrained encoder at 384x384, most accurate"

Writes skinseg/shipped/NAME.keras (weights only, no optimizer state), its full-integer twin
NAME-int8.tflite (calibrated on the 47 Pratheepan training images), and their entries in
models.json (other entries are kept) with the metrics measured by benchmarks/edge_model.py.
Then time every shipped int8 file in one run beside the reference and record it
(benchmarks/record_latency.py), so models.json's latencies and speed-ups come from one run on
one CPU; tests/test_shipped.py fails for an int8 entry without them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[1] / "skinseg" / "shipped"


def _val_scores(lite: dict, kind: str) -> dict:
    """The other datasets' validation scores edge_model.py measured (its --also), by dataset."""
    suffix = f"_val_{kind}"
    return {key.removesuffix(kind).rstrip("_"): value for key, value in lite.items()
            if key.endswith(suffix) and not key.startswith(("val_", "test_", "train_"))}


def _latency(results: dict) -> dict:
    """The int8 latency; a recorded rerun (same function, quiet machine) replaces a disturbed first run."""
    return results.get("latency_rerun", {}).get("lite_int8_ms") or results["lite"]["latency_int8_ms"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("results", type=Path)
    parser.add_argument("--name", default="skinseg-lite")
    parser.add_argument("--description", default="")
    parser.add_argument("--training", default=None,
                        help="script that reproduces the run [default: benchmarks/train_ARCH.sh]")
    parser.add_argument("--checkpoint", choices=("best", "last"), default="best",
                        help="last for a refit (skinseg train --train-on-val), whose recipe fixed the epoch")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    from rebuild_graph import rebuilt
    from skinseg.export import export_model
    from skinseg.files import atomic_write_json
    from skinseg.keras_io import load_keras_model, save_keras_model

    SHIPPED.mkdir(exist_ok=True)
    run_config = json.loads((args.run / "config.json").read_text())["config"]
    # the shipped graph is the builder's current one (same outputs, checked)
    model = rebuilt(load_keras_model(args.run / f"{args.checkpoint}.keras"), run_config)
    keras_path = SHIPPED / f"{args.name}.keras"
    save_keras_model(model, keras_path)
    # The run's config.json must sit beside the model for the export metadata; copy it over.
    (SHIPPED / "config.json").write_text((args.run / "config.json").read_text())
    int8 = export_model(keras_path, "tflite", SHIPPED / f"{args.name}-int8.tflite", quantize="int8",
                        calib_dataset="pratheepan", calib_split="train", force=True)
    (SHIPPED / "config.json").unlink()
    lite = results["lite"]
    # A split the model trained on says nothing about how it generalises; keep its score out of models.json.
    seen = set(run_config.get("train_on_val", []))
    own_val = {} if "pratheepan" in seen else {"pratheepan_val": lite["val_int8"]}
    size = run_config["img_size"]
    arch = run_config["arch"]
    common = {"architecture": arch, "width": run_config["width"], "input_size": [size, size],
              "arch_options": run_config.get("arch_options", {}),
              "training": args.training or f"benchmarks/train_{arch.replace('-', '_')}.sh",
              "licence_notes": "docs/model-card.md"}
    suffix = f"; {args.description}" if args.description else ""
    index = SHIPPED / "models.json"
    entries = json.loads(index.read_text()) if index.exists() else {}
    entries[args.name] = {**common, "file": keras_path.name, "format": "keras",
                          "description": f"{arch} float model (Keras 3){suffix}",
                          "metrics": {"pratheepan_test": lite["test_float"], **_val_scores(lite, "float")}}
    entries[f"{args.name}-int8"] = {
        **common, "file": int8.path.name, "format": "tflite-int8",
        "description": f"full-integer twin of {args.name}, for LiteRT / tflite-runtime / Edge TPU{suffix}",
        "metrics": {"pratheepan_test": lite["test_int8"], **own_val,
                    **_val_scores(lite, "int8"), "int8_iou_drop": lite["int8_iou_drop"],
                    "pixel_agreement": lite["int8_pixel_agreement"],
                    "latency_ms_median_2_threads": _latency(results)["median"]}}
    atomic_write_json(index, entries)
    print(f"shipped {keras_path} and {int8.path}")


if __name__ == "__main__":
    main()
