"""Copies a trained edge-unet run into the package as the shipped skinseg-lite models.

    python benchmarks/ship_edge_model.py runs/edge-unet-w1.5-ft benchmarks/results/edge_model.json

Writes skinseg/shipped/skinseg-lite.keras (weights only, no optimizer state), its full-integer
twin skinseg-lite-int8.tflite (calibrated on 100 Pratheepan training images), and models.json with
the metrics measured by benchmarks/edge_model.py.
"""

from __future__ import annotations

import json
import sys
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
    run, results = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    from skinseg.export import export_model
    from skinseg.files import atomic_write_json
    from skinseg.keras_io import load_keras_model, save_keras_model

    SHIPPED.mkdir(exist_ok=True)
    model = load_keras_model(run / "best.keras")
    keras_path = SHIPPED / "skinseg-lite.keras"
    save_keras_model(model, keras_path)
    # The run's config.json must sit beside the model for the export metadata; copy it over.
    (SHIPPED / "config.json").write_text((run / "config.json").read_text())
    int8 = export_model(keras_path, "tflite", SHIPPED / "skinseg-lite-int8.tflite", quantize="int8",
                        calib_dataset="pratheepan", calib_split="train", force=True)
    (SHIPPED / "config.json").unlink()
    lite = results["lite"]
    common = {"architecture": "edge-unet", "width": 1.5, "input_size": [256, 256],
              "training": "benchmarks/train_edge_unet.sh", "licence_notes": "docs/model-card.md"}
    atomic_write_json(SHIPPED / "models.json", {
        "skinseg-lite": {**common, "file": keras_path.name, "format": "keras",
                         "description": "edge-unet float model (Keras 3)",
                         "metrics": {"pratheepan_test": lite["test_float"], **_val_scores(lite, "float")}},
        "skinseg-lite-int8": {**common, "file": int8.path.name, "format": "tflite-int8",
                              "description": "full-integer twin of skinseg-lite, for LiteRT / tflite-runtime / Edge TPU",
                              "metrics": {"pratheepan_test": lite["test_int8"], "pratheepan_val": lite["val_int8"],
                                          **_val_scores(lite, "int8"),
                                          "int8_iou_drop": lite["int8_iou_drop"],
                                          "pixel_agreement": lite["int8_pixel_agreement"],
                                          "latency_ms_median_2_threads": _latency(results)["median"]}},
    })
    print(f"shipped {keras_path} and {int8.path}")


if __name__ == "__main__":
    main()
