"""Writes one side-by-side latency run into skinseg/shipped/models.json, so `skinseg models`
compares like with like.

    python benchmarks/latency.py skinseg/shipped/*-int8.tflite --reference --rounds 5 \
        --out benchmarks/results/latency_epyc.json
    python benchmarks/record_latency.py benchmarks/results/latency_epyc.json

For each shipped int8 file timed in the run, its round with the median speed-up over the float32
reference SegNet gives the recorded milliseconds and ratio; the CPU is recorded with them, as
milliseconds only compare on the same CPU.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "skinseg" / "shipped"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="latency.py JSON, written with --reference")
    args = parser.parse_args()
    run = json.loads(args.run.read_text())
    if "speedup" not in run:
        parser.error(f"{args.run}: no speed-ups; time the files with latency.py --reference")
    from skinseg.files import atomic_write_json

    index = SHIPPED / "models.json"
    entries = json.loads(index.read_text())
    timed = {Path(f).name: f for f in run["speedup"]}
    for name, entry in entries.items():
        if entry["file"] not in timed:
            continue
        key = timed[entry["file"]]
        ratios = run["speedup"][key]
        median_round = sorted(range(len(ratios)), key=ratios.__getitem__)[len(ratios) // 2]
        entry["metrics"].update({"latency_ms_median_2_threads": run[key][median_round]["median"],
                                 "speedup_vs_reference_float32": ratios[median_round],
                                 "latency_cpu": f"{run['machine']['cpu']} ({', '.join(run['machine']['simd'])})",
                                 "latency_run": str(args.run)})
        print(f"{name}: {run[key][median_round]['median']:.2f} ms, {ratios[median_round]:.0f}x the reference")
    atomic_write_json(index, entries)


if __name__ == "__main__":
    main()
