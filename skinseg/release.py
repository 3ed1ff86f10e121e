"""Writing shipped models: the one place that writes ``skinseg/shipped/``.

A release copies a trained model into the package as ``NAME.keras``, exports its full-integer twin
``NAME-int8.tflite``, stamps both files with their inference settings (the files are the only
source of how they run, so a copy runs like the original) and records both in ``models.json``,
the catalogue: what each file is, how it was made and how it scored, never how it runs.

    python -m skinseg.release ship runs/lite-wild-ft/best.keras --name skinseg-lite --recipe recipes/skinseg-lite.sh \
        --description "..." [--threshold 0.5] [--adapt]
    python -m skinseg.release record skinseg-lite-int8 --suite suite.json --test test.json --verify parity.json
    python -m skinseg.release stamp skinseg-tiny skinseg-tiny-int8 --threshold 0.5
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from .errors import SkinsegError
from .files import atomic_write_bytes, atomic_write_json
from .runtime import InferenceSettings

SHIPPED = Path(__file__).resolve().parent / "shipped"


def stamp_settings(path: str | os.PathLike, settings: InferenceSettings) -> None:
    """Write ``settings`` into a .keras or .tflite file's own metadata, leaving the rest of it as it was.
    The whole ``output`` section is written anew, so a step no longer in the runtime leaves no key behind."""
    from .export.metadata import output_metadata
    from .models import file_metadata

    path = Path(path)
    if path.suffix not in (".keras", ".tflite"):
        raise SkinsegError(f"{path}: only .keras and .tflite files carry inference settings")
    metadata = file_metadata(path)
    metadata["output"] = output_metadata(settings, metadata.get("output", {}).get("quantization"))
    if path.suffix == ".keras":
        from .keras_io import write_keras_metadata

        write_keras_metadata(path, metadata)
    else:
        from .export.metadata import embed_in_tflite

        atomic_write_bytes(path, embed_in_tflite(path.read_bytes(), metadata))


def ship(model: str | os.PathLike, name: str, settings: InferenceSettings, entry: dict,
         shipped: Path = SHIPPED) -> tuple[Path, Path]:
    """Ship ``model`` (a .keras file) as ``NAME.keras`` and ``NAME-int8.tflite`` with ``settings``.

    ``entry`` is the catalogue fields both files share (architecture, description, recipe...); their
    metrics start empty, for :func:`record_metrics`. Other catalogue entries are kept.
    """
    from .export import export_model
    from .keras_io import load_keras_model, save_keras_model

    shipped.mkdir(parents=True, exist_ok=True)
    keras_path = shipped / f"{name}.keras"
    save_keras_model(load_keras_model(model), keras_path)  # weights and graph only, no optimizer state
    stamp_settings(keras_path, settings)
    int8 = export_model(keras_path, "tflite", shipped / f"{name}-int8.tflite", quantize="int8",
                        calib_dataset="pratheepan", calib_split="train", force=True)
    index = shipped / "models.json"
    catalogue = json.loads(index.read_text()) if index.exists() else {}
    catalogue[name] = {**entry, "file": keras_path.name, "format": "keras",
                       "description": f"{entry.get('description', name)} (float, Keras 3)", "metrics": {}}
    catalogue[f"{name}-int8"] = {**entry, "file": int8.path.name, "format": "tflite-int8",
                                 "description": f"{entry.get('description', name)} (full-integer int8: LiteRT, "
                                                "tflite-runtime, Edge TPU)",
                                 "metrics": {}}
    atomic_write_json(index, catalogue)
    return keras_path, int8.path


def record_metrics(name: str, metrics: dict, shipped: Path = SHIPPED) -> None:
    """Merge measured ``metrics`` into a shipped model's catalogue entry."""
    index = shipped / "models.json"
    catalogue = json.loads(index.read_text())
    if name not in catalogue:
        raise SkinsegError(f"{name}: not in {index}; ship it first")
    catalogue[name]["metrics"] = {**catalogue[name].get("metrics", {}), **metrics}
    atomic_write_json(index, catalogue)


def suite_metrics(suite: dict) -> dict:
    """The catalogue's summary of a ``skinseg validate`` result: per-dataset and macro F1, IoU, mIoU2."""
    keep = ("f1", "iou", "miou2")
    return {"macro": {k: suite["macro"][k] for k in keep},
            **{label: {k: r["per_image_mean"][k] for k in keep} for label, r in suite["datasets"].items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description="Ship trained models into skinseg/shipped/ and record their scores.")
    commands = parser.add_subparsers(dest="command", required=True)
    ship_cmd = commands.add_parser("ship", help="copy a .keras model in as NAME.keras and NAME-int8.tflite")
    ship_cmd.add_argument("model", type=Path)
    ship_cmd.add_argument("--name", required=True)
    ship_cmd.add_argument("--threshold", type=float, default=0.5)
    ship_cmd.add_argument("--adapt", action="store_true")
    ship_cmd.add_argument("--description", required=True)
    ship_cmd.add_argument("--recipe", required=True, help="the script that reproduces the model")
    stamp_cmd = commands.add_parser("stamp", help="write inference settings into shipped files")
    stamp_cmd.add_argument("names", nargs="+")
    stamp_cmd.add_argument("--threshold", type=float, default=0.5)
    stamp_cmd.add_argument("--adapt", action="store_true")
    record_cmd = commands.add_parser("record", help="record measured scores in a shipped model's catalogue entry")
    record_cmd.add_argument("name")
    record_cmd.add_argument("--suite", type=Path, help="'skinseg validate --json' output")
    record_cmd.add_argument("--test", type=Path, help="'skinseg evaluate --split test --json' output")
    record_cmd.add_argument("--verify", type=Path, help="'skinseg verify --json' output (int8 against its float twin)")
    record_cmd.add_argument("--e2e", type=Path, help="benchmarks/e2e_latency.py output for this model")
    args = parser.parse_args()
    if args.command == "ship":
        config_file = args.model.parent / "config.json"
        config = json.loads(config_file.read_text())["config"] if config_file.exists() else {}
        entry = {"architecture": config.get("arch"), "width": config.get("width"),
                 "arch_options": config.get("arch_options", {}),
                 "input_size": [config.get("img_size")] * 2 if config.get("img_size") else None,
                 "description": args.description, "recipe": args.recipe, "licence_notes": "docs/model-card.md"}
        print("shipped", *ship(args.model, args.name, InferenceSettings(args.threshold, args.adapt), entry))
    elif args.command == "stamp":
        from .models import resolve_model

        for name in args.names:
            stamp_settings(resolve_model(name), InferenceSettings(args.threshold, args.adapt))
            print(f"{name}: threshold {args.threshold}, adapt {args.adapt}")
    else:
        metrics = {}
        if args.suite:
            metrics["suite"] = suite_metrics(json.loads(args.suite.read_text()))
        if args.test:
            metrics["pratheepan_test"] = json.loads(args.test.read_text())["per_image_mean"]
        if args.verify:
            parity = json.loads(args.verify.read_text())
            metrics.update(int8_iou_drop=parity["iou_drop"], pixel_agreement=parity["pixel_agreement"])
        if args.e2e:  # milliseconds per photo by photo size, and the CPU they were measured on
            timing = json.loads(args.e2e.read_text())
            metrics["e2e_ms"] = {group: row["default"] for group, row in timing["ms"].items()}
            metrics["e2e_cpu"] = timing.get("cpu")
        record_metrics(args.name, metrics)
        print(f"{args.name}: recorded {', '.join(metrics)}")


if __name__ == "__main__":
    main()
