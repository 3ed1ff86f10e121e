"""Turns colour adaptation on for a shipped pair in models.json, with the numbers that chose it.

    python benchmarks/record_adapt.py skinseg-lite \
        --validation results/adapt_validation.json --test results/adapt_test_lite.json \
        --latency results/adapt_latency.json

The rule, fixed on 2026-12-06 before the test split was read with adaptation: a shipped pair gets
colour adaptation (skinseg/runtime/adapt.py, settings 32 bins, 0.8, weight 1) on top of its
default inference (tiles and refined edges where it has them) when its int8 model's Pratheepan
validation mIoU2 gains 0.005 or more with it and the gain is at least twice its standard error
over the images (validation_scores.py --int8 [--tiles] --refine --adapt), SFA and abdomen
validation F1 lose no more than 0.002, and adaptation adds at most 10 ms to a 640x480 photo
(tiled_latency.py --refine --adapt, median of the rounds). The settings and these bounds were set
after skinseg-lite-int8's validation gain had been seen (benchmarks/adapt_settings.py); the other
shipped models' had not. The test numbers come from one `skinseg verify --reference NAME
--candidate NAME-int8 --adapt --json FILE` run, read after; a pair whose int8 file then breaks
the parity bounds under adaptation (IoU drop over 0.005 or pixel agreement under 99.5%) is
refused too, as parity, not accuracy, is what test may veto. This script checks the rule and
refuses a pair that fails it. Both entries get "adapt": true in "inference" and
"metrics_adapted"; the others stay.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from record_refine import paired_gain
from record_tiles import SHIPPED, record_arguments, record_pair


def main() -> None:
    args = record_arguments()

    index = SHIPPED / "models.json"
    entries = json.loads(index.read_text())
    inference = entries[args.name].get("inference", {})
    tiles, refine = inference.get("tiles", False), inference.get("refine", False)
    base = "_tiles" * tiles
    after = "_adapt" + "_refine" * refine
    before = "_refine" * refine
    row = next(r for r in json.loads(args.validation.read_text())["rows"] if r["model"] == args.name)
    gain, error = paired_gain(row[f"pratheepan_val_int8{base}{before}"], row[f"pratheepan_val_int8{base}{after}"])
    losses = {d: row[f"{d}_val_int8{base}{before}"]["f1"] - row[f"{d}_val_int8{base}{after}"]["f1"]
              for d in ("sfa", "abdomen")}
    latency = json.loads(args.latency.read_text())
    key = f"{args.name}-int8 tiles={'on' if tiles else 'off'}"
    plain, adapted = key + " refine=on" * refine, key + " adapt=on" + " refine=on" * refine
    photo_ms = statistics.median(r[adapted]["photo_ms"] for r in latency["rounds"])
    adapt_ms = statistics.median(r[adapted]["photo_ms"] - r[plain]["photo_ms"] for r in latency["rounds"])
    print(f"{args.name}: val mIoU2 gain {gain:+.4f} (standard error {error:.4f}), F1 losses {losses}, "
          f"adaptation {adapt_ms:.1f} ms on a 640x480 photo")
    if gain < 0.005 or gain < 2 * error or max(losses.values()) > 0.002 or adapt_ms > 10.0:
        sys.exit(f"{args.name}: colour adaptation fails the rule; models.json left as it was")

    test = json.loads(args.test.read_text())
    if not (test["adapt"] and test["refine"] == refine and test["tiles"] == tiles and test["split"] == "test"
            and Path(test["candidate"]["model"]).name == f"{args.name}-int8"):
        sys.exit(f"{args.test}: not a verify run of {args.name}-int8 on the test split with its inference and --adapt")
    if test["iou_drop"] > 0.005 or test["pixel_agreement"] < 0.995:
        sys.exit(f"{args.name}: int8 parity under adaptation is out of bounds (IoU drop {test['iou_drop']:.4f}, "
                 f"agreement {test['pixel_agreement']:.2%}); models.json left as it was")
    record_pair(args.name, "adapt", "metrics_adapted", test, row, f"{base}{after}",
                {"latency_ms_photo_640x480": photo_ms, "adapt_ms_640x480": adapt_ms,
                 "latency_run": f"benchmarks/{args.latency.as_posix()}"}, "colour adaptation")


if __name__ == "__main__":
    main()
