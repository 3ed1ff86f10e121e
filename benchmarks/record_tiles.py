"""Turns tiled inference on for a shipped pair in models.json, with the numbers that chose it.

    python benchmarks/record_tiles.py skinseg-lite \
        --validation results/tiles_validation_lite.json --test results/tiles_test_lite.json \
        --latency results/tiled_latency.json

The rule, fixed before the test split was read: a shipped pair gets tiled inference by default
when its int8 model's Pratheepan validation mIoU2 gains 0.01 or more with tiles
(validation_scores.py --int8 --tiles), SFA and abdomen validation F1 lose no more than 0.005,
and its two model calls on a 640x480 photo take at most 5 ms (tiled_latency.py, median of the
rounds). This script checks the rule and refuses a pair that fails it. The test numbers come from
one `skinseg verify --reference NAME --candidate NAME-int8 --tiles --json FILE` run, read after.
Both entries get "tiles": true in "inference" and "metrics_tiled"; "metrics" keep the one-call numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

SHIPPED = Path(__file__).resolve().parents[1] / "skinseg" / "shipped"


def record_arguments() -> argparse.Namespace:
    """The arguments every record_*.py script takes: a shipped pair and the three runs behind its setting."""
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="the float model's name, e.g. skinseg-lite")
    parser.add_argument("--validation", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--latency", type=Path, required=True)
    return parser.parse_args()


def record_pair(name: str, setting: str, metrics_key: str, test: dict, row: dict, suffix: str, int8_extra: dict,
                label: str) -> None:
    """Turns ``setting`` on in models.json for the pair ``name`` and ``name``-int8, each with its numbers
    under ``metrics_key``: its test scores from the verify run ``test``, its validation scores from the
    validation_scores.py ``row`` keys ending in ``suffix``, and for the int8 file also ``int8_extra``
    and the parity the verify run measured. The entries' other inference settings stay."""
    from skinseg.files import atomic_write_json

    index = SHIPPED / "models.json"
    entries = json.loads(index.read_text())
    for entry, kind, role in ((name, "float", "reference"), (f"{name}-int8", "int8", "candidate")):
        metrics = {"pratheepan_test": test[role]["per_image_mean"],
                   **{f"{d}_val": {k: v for k, v in row[f"{d}_val_{kind}{suffix}"].items() if k != "per_image_miou2"}
                      for d in ("pratheepan", "sfa", "abdomen")}}
        if kind == "int8":
            metrics.update(int8_iou_drop=test["iou_drop"], pixel_agreement=test["pixel_agreement"], **int8_extra)
        entries[entry]["inference"] = {**entries[entry].get("inference", {}), setting: True}
        entries[entry][metrics_key] = metrics
    atomic_write_json(index, entries)
    print(f"{index}: {label} on for {name} and {name}-int8")


def main() -> None:
    args = record_arguments()

    row = next(r for r in json.loads(args.validation.read_text())["rows"] if r["model"] == args.name)
    latency = json.loads(args.latency.read_text())
    key = f"{args.name}-int8 tiles=on"
    model_ms = statistics.median(r[key]["model_ms"] for r in latency["rounds"])
    photo_ms = statistics.median(r[key]["photo_ms"] for r in latency["rounds"])
    gain = row["pratheepan_val_int8_tiles"]["miou2"] - row["pratheepan_val_int8"]["miou2"]
    losses = {d: row[f"{d}_val_int8"]["f1"] - row[f"{d}_val_int8_tiles"]["f1"] for d in ("sfa", "abdomen")}
    print(f"{args.name}: val mIoU2 gain {gain:+.4f}, F1 losses {losses}, {model_ms:.2f} ms in model calls")
    if gain < 0.01 or max(losses.values()) > 0.005 or model_ms > 5.0:
        sys.exit(f"{args.name}: tiled inference fails the rule; models.json left as it was")

    test = json.loads(args.test.read_text())
    if not (test["tiles"] and test["split"] == "test" and Path(test["candidate"]["model"]).name == f"{args.name}-int8"):
        sys.exit(f"{args.test}: not a tiled verify run of {args.name}-int8 on the test split")
    speedups = [r[key] for r in latency["speedup_model_calls"]]  # tiled_latency.py --reference's, per round
    record_pair(args.name, "tiles", "metrics_tiled", test, row, "_tiles",
                {"latency_ms_model_calls_640x480": model_ms, "latency_ms_photo_640x480": photo_ms,
                 "speedup_vs_reference_float32": statistics.median(speedups),
                 "latency_run": f"benchmarks/{args.latency.as_posix()}"}, "tiled inference")


if __name__ == "__main__":
    main()
