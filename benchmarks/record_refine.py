"""Turns refined edges on for a shipped pair in models.json, with the numbers that chose it.

    python benchmarks/record_refine.py skinseg-lite \
        --validation results/refine_validation.json --test results/refine_test_lite.json \
        --latency results/refine_latency.json

The rule, fixed before the test split was read: a shipped pair gets refined edges
(skinseg/runtime/refine.py) on top of its default inference (tiles where it has them) when its
int8 model's Pratheepan validation mIoU2 gains 0.005 or more with them and the gain is at least
twice its standard error over the images (same model, same images, so the pairs' differences
measure it; validation_scores.py --int8 --tiles --refine), SFA and abdomen validation F1 lose no
more than 0.002, and the filter adds at most 20 ms to a 640x480 photo (tiled_latency.py --refine,
median of the rounds). This script checks the rule and refuses a pair that fails it. The test
numbers come from one `skinseg verify --reference NAME --candidate NAME-int8 --refine --json FILE`
run, read after. Both entries get "refine": true in "inference" and "metrics_refined"; the others stay.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from record_tiles import SHIPPED, record_arguments, record_pair


def paired_gain(before: dict, after: dict) -> tuple[float, float]:
    """Mean per-image mIoU2 gain and its standard error, from the same images scored twice."""
    gains = [b - a for a, b in zip(before["per_image_miou2"], after["per_image_miou2"], strict=True)]
    return statistics.mean(gains), statistics.stdev(gains) / len(gains) ** 0.5


def main() -> None:
    args = record_arguments()

    index = SHIPPED / "models.json"
    entries = json.loads(index.read_text())
    tiles = entries[args.name].get("inference", {}).get("tiles", False)
    base = "_tiles" if tiles else ""
    row = next(r for r in json.loads(args.validation.read_text())["rows"] if r["model"] == args.name)
    gain, error = paired_gain(row[f"pratheepan_val_int8{base}"], row[f"pratheepan_val_int8{base}_refine"])
    losses = {d: row[f"{d}_val_int8{base}"]["f1"] - row[f"{d}_val_int8{base}_refine"]["f1"] for d in ("sfa", "abdomen")}
    latency = json.loads(args.latency.read_text())
    key = f"{args.name}-int8 tiles={'on' if tiles else 'off'}"
    photo_ms = statistics.median(r[f"{key} refine=on"]["photo_ms"] for r in latency["rounds"])
    refine_ms = statistics.median(r[f"{key} refine=on"]["photo_ms"] - r[key]["photo_ms"] for r in latency["rounds"])
    print(f"{args.name}: val mIoU2 gain {gain:+.4f} (standard error {error:.4f}), F1 losses {losses}, "
          f"refinement {refine_ms:.1f} ms on a 640x480 photo")
    if gain < 0.005 or gain < 2 * error or max(losses.values()) > 0.002 or refine_ms > 20.0:
        sys.exit(f"{args.name}: refined edges fail the rule; models.json left as it was")

    test = json.loads(args.test.read_text())
    if not (test["refine"] and test["tiles"] == tiles and test["split"] == "test"
            and Path(test["candidate"]["model"]).name == f"{args.name}-int8"):
        sys.exit(f"{args.test}: not a verify run of {args.name}-int8 on the test split with its inference and --refine")
    record_pair(args.name, "refine", "metrics_refined", test, row, f"{base}_refine",
                {"latency_ms_photo_640x480": photo_ms, "refine_ms_640x480": refine_ms,
                 "latency_run": f"benchmarks/{args.latency.as_posix()}"}, "refined edges")


if __name__ == "__main__":
    main()
