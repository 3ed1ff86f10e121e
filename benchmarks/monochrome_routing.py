"""Should skinseg-lite hand black-and-white photos to skinseg-lite-camera? Validation splits only.

    SKINSEG_DATA=../shared/datasets python benchmarks/monochrome_routing.py skinseg-lite \
        --twin skinseg-lite-camera --also folder=../shared/datasets/sfa \
        --also folder=../shared/datasets/abdomen --out benchmarks/results/monochrome_routing.json --record

skinseg-lite leans on colour: on validation photos turned black-and-white (camera_robustness.py's
grayscale change) it finds almost no skin. skinseg.images.is_monochrome tells such photos apart,
and a shipped entry's "monochrome_model" sends them to its twin (skinseg/runtime/__init__.py).
The rule, fixed before this script first ran (though the twin's grayscale scores, one call per
photo, were known from camera_robustness.py): the routing is on by default for the pair when
(a) no photo of any split of the datasets is judged black-and-white, so no recorded score
changes, and (b) on every validation split turned black-and-white, the float and the int8 model,
each with its default inference, gain at least 0.05 skin F1 with the routing. --record then
writes "monochrome_model" into both entries' "inference" in models.json, with these numbers.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from camera_robustness import grayscale, mean_scores  # noqa: E402
from validation_sets import add_also_option, validation_datasets  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[1] / "skinseg" / "shipped"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", help="the shipped float model, e.g. skinseg-lite (its -int8 twin is scored too)")
    parser.add_argument("--twin", required=True, help="the shipped float model for black-and-white photos")
    add_also_option(parser)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--record", action="store_true", help="write the routing into models.json if the rule holds")
    args = parser.parse_args()

    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.files import atomic_write_json
    from skinseg.images import is_monochrome, read_image
    from skinseg.runtime import Segmenter

    result = {"model": args.name, "twin": args.twin, "split": "val", "monochrome_photos": {}, "rows": []}
    missed = []
    for dataset, data_dir, label in validation_datasets(args.also):
        data = load_dataset(dataset, data_dir)
        every = data.split("all")
        judged = [sample.name for sample in every if is_monochrome(read_image(sample.image))]
        result["monochrome_photos"][label] = {"photos": len(every), "black_and_white": judged}
        print(f"{label:12s} {len(judged)} of {len(every)} photos judged black-and-white", flush=True)
        if judged:
            missed.append(f"{label}: {len(judged)} colour photos would be routed")
        samples = data.split("val")
        pairs = list(map(read_sample, samples))
        for suffix in ("", "-int8"):
            scores = {}
            for routed in (False, True):
                segmenter = Segmenter(args.name + suffix, monochrome=routed and args.twin + suffix)
                scores[routed] = mean_scores(segmenter, pairs, [s.name for s in samples], grayscale)
            gain = scores[True]["f1"] - scores[False]["f1"]
            result["rows"].append({"dataset": label, "model": args.name + suffix, "alone": scores[False],
                                   "routed": scores[True], "f1_gain": gain})
            print(f"{label:12s} {args.name + suffix:20s} black-and-white F1 {scores[False]['f1']:.4f} -> "
                  f"{scores[True]['f1']:.4f} routed to {args.twin + suffix}", flush=True)
            if gain < 0.05:
                missed.append(f"{label} {args.name + suffix}: F1 gain {gain:+.4f}, under 0.05")
    result["rule"] = {"met": not missed, "missed": missed}
    print("rule: " + ("met" if not missed else "not met: " + "; ".join(missed)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.record and not missed:
        index = SHIPPED / "models.json"
        entries = json.loads(index.read_text())
        for suffix in ("", "-int8"):
            entry = entries[args.name + suffix]
            entry["inference"] = {**entry.get("inference", {}), "monochrome_model": args.twin + suffix}
            entry["metrics_monochrome"] = {
                f"{row['dataset']}_val_black_and_white": {"alone": row["alone"], "routed": row["routed"]}
                for row in result["rows"] if row["model"] == args.name + suffix}
        atomic_write_json(index, entries)
        print(f"{index}: black-and-white photos of {args.name} and {args.name}-int8 go to {args.twin}")


if __name__ == "__main__":
    main()
