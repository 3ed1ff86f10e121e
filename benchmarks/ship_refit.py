"""Ships a refit (benchmarks/train_refit.sh) in place of a shipped pair, keeping the pair's inference.

    SKINSEG_DATA=../shared/datasets python benchmarks/ship_refit.py runs/lite-refit skinseg-lite \
        --one-call benchmarks/results/lite_refit.json --validation benchmarks/results/refit_validation.json \
        --tiled-test benchmarks/results/tiles_test_refit.json --refined-test benchmarks/results/refine_test_refit.json

A refit is the recipe of a shipped model with a validation split added to its training data, so
that split can no longer choose tiles or refined edges for it: the pair keeps the inference the
rules chose for the model it replaces, its metrics are the refit's own, and no score of a split it
trained on is recorded. The rule in train_refit.sh is checked here first (SFA and abdomen
validation F1 under the default inference, the parity bounds on the test split); a refit that
fails it leaves models.json and the shipped files as they were.

The files and one-call metrics come from ship_edge_model.py --checkpoint last; "metrics_tiled"
and "metrics_refined" from validation_scores.py --int8 --tiles --refine (SFA, abdomen) and one
`skinseg verify` run each on the test split. The latency fields of the tiled and refined entries
are carried over: the graph is the same op for op and only the weights differ. Time the new file
with latency.py and record_latency.py after, as for any shipped file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from record_tiles import SHIPPED

LATENCY_KEYS = ("latency_ms_model_calls_640x480", "latency_ms_photo_640x480", "refine_ms_640x480",
                "speedup_vs_reference_float32", "latency_run")
OTHERS = ("sfa", "abdomen")


def validation_failures(baseline: dict, refit: dict) -> list[str]:
    """What the refit fails of the validation half of train_refit.sh's rule (F1 on the other datasets)."""
    key = "{}_val_int8_tiles_refine"
    return [f"{d} validation F1 {refit[key.format(d)]['f1']:.4f} against {baseline[key.format(d)]['f1']:.4f}"
            for d in OTHERS if refit[key.format(d)]["f1"] < baseline[key.format(d)]["f1"] - 0.005]


def shipped_failures(name: str, tests: dict[str, dict]) -> list[str]:
    """What the shipped refit fails of the rule's bounds: parity on the test split, file size."""
    failed = [f"{kind}: int8 IoU drop {test['iou_drop']:.4f}, agreement {test['pixel_agreement']:.4%}"
              for kind, test in tests.items() if test["iou_drop"] > 0.005 or test["pixel_agreement"] < 0.995]
    size = (SHIPPED / f"{name}-int8.tflite").stat().st_size
    return failed + ([f"int8 file {size} bytes"] if size > 512 * 1024 else [])


def verify(name: str, refine: bool, out: Path) -> dict:
    """One `skinseg verify` of the shipped pair on the test split, tiled, with or without refined edges."""
    subprocess.run(["skinseg", "verify", "--reference", name, "--candidate", f"{name}-int8", "--tiles",
                    "--refine" if refine else "--no-refine", "--max-iou-drop", "0.005", "--threads", "2",
                    "--quiet", "--json", str(out)], check=False)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("name", help="the shipped float model it replaces, e.g. skinseg-lite")
    parser.add_argument("--one-call", type=Path, required=True, help="edge_model.py JSON of the run's last.keras")
    parser.add_argument("--validation", type=Path, required=True,
                        help="validation_scores.py --int8 --tiles --refine JSON of the run's last.keras")
    parser.add_argument("--baseline", type=Path, default=Path("benchmarks/results/refine_validation.json"),
                        help="the same, for the shipped model")
    parser.add_argument("--tiled-test", type=Path, required=True, help="verify JSON to write")
    parser.add_argument("--refined-test", type=Path, required=True, help="verify JSON to write")
    parser.add_argument("--description", default="")
    args = parser.parse_args()

    def row(path: Path, model: str) -> dict:
        return next(r for r in json.loads(path.read_text())["rows"] if r["model"] == model)

    refit = row(args.validation, str(args.run / "last.keras"))
    failed = validation_failures(row(args.baseline, args.name), refit)
    if failed:
        sys.exit(f"{args.run}: fails the refit rule ({'; '.join(failed)}); models.json left as it was")

    from skinseg.files import atomic_write_json

    index = SHIPPED / "models.json"
    before = json.loads(index.read_text())
    files = {path: path.read_bytes() for path in (SHIPPED / before[args.name]["file"],
                                                  SHIPPED / before[f"{args.name}-int8"]["file"])}

    def restore() -> None:
        for path, data in files.items():
            path.write_bytes(data)
        atomic_write_json(index, before)

    try:  # a shipping or verify step that breaks must not leave a half-shipped pair behind
        subprocess.run([sys.executable, str(Path(__file__).with_name("ship_edge_model.py")), str(args.run),
                        str(args.one_call), "--name", args.name, "--checkpoint", "last",
                        "--training", "benchmarks/train_refit.sh", "--description", args.description], check=True)
        tests = {"tiles": verify(args.name, False, args.tiled_test),
                 "tiles+refine": verify(args.name, True, args.refined_test)}
    except BaseException:
        restore()
        raise
    failed = shipped_failures(args.name, tests)
    if failed:
        restore()
        sys.exit(f"{args.run}: fails the refit rule ({'; '.join(failed)}); the shipped pair is restored")

    entries = json.loads(index.read_text())
    for name, kind, role in ((args.name, "float", "reference"), (f"{args.name}-int8", "int8", "candidate")):
        old, new = before[name], entries[name]
        new["inference"] = old["inference"]
        for key, test, suffix in (("metrics_tiled", tests["tiles"], "tiles"),
                                  ("metrics_refined", tests["tiles+refine"], "tiles_refine")):
            metrics = {"pratheepan_test": test[role]["per_image_mean"],
                       **{f"{d}_val": refit[f"{d}_val_{kind}_{suffix}"] for d in OTHERS}}
            if kind == "int8":
                metrics.update(int8_iou_drop=test["iou_drop"], pixel_agreement=test["pixel_agreement"],
                               **{k: old[key][k] for k in LATENCY_KEYS if k in old[key]})
            new[key] = metrics
        # one side-by-side run times every shipped file (record_latency.py); until the next, the last one's
        for field in ("latency_cpu", "latency_run", "speedup_vs_reference_float32", "latency_ms_median_2_threads"):
            if field in old["metrics"]:
                new["metrics"][field] = old["metrics"][field]
    atomic_write_json(index, entries)
    print(f"{index}: {args.name} and {args.name}-int8 are now {args.run}/last.keras, inference {old['inference']}")


if __name__ == "__main__":
    main()
