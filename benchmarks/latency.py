"""Times TFLite files side by side in one process, with edge_model.py's latency function.

    python benchmarks/latency.py skinseg/shipped/skinseg-lite-int8.tflite \
        skinseg/shipped/skinseg-mobile-int8.tflite --reference --rounds 3

--reference adds the reference SegNet (width 1.0, 256x256) in float32, exported by skinseg from
a freshly built network: float32 kernels take the same time whatever the weights, so no trained
reference is needed to time it, and the JSON gets each file's speed-up over it per round.

Each file is timed once per round, in turn, so a host that slows down mid-way affects every file
alike; the per-file medians of each round are printed and written to --out as JSON. Use it to
rerun a latency pass that edge_model.py recorded while the machine was busy. The JSON also
records the CPU ("machine"): compare ratios, and compare milliseconds only on the same CPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from edge_model import latency_ms, machine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=200, help="Timed runs per file and round (a tenth, at least 10, for files over 10 MB).")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--reference", action="store_true", help="also time the float32 reference SegNet")
    args = parser.parse_args()
    reference = reference_float32(Path(tempfile.mkdtemp(prefix="skinseg-latency-"))) if args.reference else None
    if reference:
        args.files.append(reference)
    result = {str(f): [] for f in args.files}
    for _ in range(args.rounds):
        for f in args.files:
            runs = args.runs if f.stat().st_size < 10_000_000 else max(10, args.runs // 10)
            result[str(f)].append(latency_ms(f, args.threads, runs))
            print(f"{f}: {result[str(f)][-1]['median']:.2f} ms median", flush=True)
    output = {"machine": machine(), **result}
    if reference:
        ref_ms = [r["median"] for r in result[str(reference)]]
        output["speedup"] = {f: [ref / r["median"] for ref, r in zip(ref_ms, rounds)]
                             for f, rounds in result.items() if f != str(reference)}
        for f, ratios in output["speedup"].items():
            print(f"{f}: {', '.join(f'{x:.0f}x' for x in ratios)} the reference's speed, by round")
    if args.out:
        args.out.write_text(json.dumps(output, indent=2) + "\n")


def reference_float32(work: Path) -> Path:
    """The reference SegNet at full width and 256x256, exported to float32 TFLite by skinseg."""
    from skinseg.architectures import create_model
    from skinseg.export import export_model
    from skinseg.keras_io import save_keras_model

    save_keras_model(create_model("segnet", img_size=256, width=1.0), work / "reference.keras")
    return export_model(work / "reference.keras", "tflite", work / "reference_segnet_float32.tflite",
                        quantize="none").path


if __name__ == "__main__":
    main()
