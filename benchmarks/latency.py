"""Times TFLite files side by side in one process, with edge_model.py's latency function.

    python benchmarks/latency.py skinseg/shipped/skinseg-lite-int8.tflite \
        skinseg/shipped/skinseg-mobile-int8.tflite reference_float32.tflite --rounds 3

Each file is timed once per round, in turn, so a host that slows down mid-way affects every file
alike; the per-file medians of each round are printed and written to --out as JSON. Use it to
rerun a latency pass that edge_model.py recorded while the machine was busy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge_model import latency_ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=200, help="Timed runs per file and round (20 for >100 MB/s files).")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = {str(f): [] for f in args.files}
    for _ in range(args.rounds):
        for f in args.files:
            runs = args.runs if f.stat().st_size < 10_000_000 else max(10, args.runs // 10)
            result[str(f)].append(latency_ms(f, args.threads, runs))
            print(f"{f}: {result[str(f)][-1]['median']:.2f} ms median", flush=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
