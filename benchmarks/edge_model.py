"""Measures the shipped edge model against the issue-5 targets, and the reference SegNet beside it.

    python benchmarks/edge_model.py --lite runs/edge-unet-w1.5-ft/best.keras \
        --reference runs/segnet-ref/best.keras --out benchmarks/results/edge_model.json \
        --also folder=../shared/datasets/sfa --also folder=../shared/datasets/abdomen

Exports both models (lite: int8 and Edge TPU; reference: float32 TFLite), then on the Pratheepan
seed test split: the int8 model's mean per-image two-class mIoU and skin F1, its IoU drop and
pixel agreement against the float model, both models on the validation splits of the --also
datasets, and latency at 256x256 through ai-edge-litert with
2 threads for the lite int8 model and the reference float32 model in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from validation_sets import add_also_option, validation_datasets  # noqa: E402


def machine() -> dict:
    """The CPU the latencies were measured on: this project's 2-core hosts have timed the same
    reference file at 250 to 636 ms, so milliseconds compare only between runs on one CPU."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)}
    flags = set(fields.get("flags", "").split())
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "cpu": fields.get("model name", platform.processor()),
            "simd": sorted(flags & {"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"})}


def latency_ms(model_path: Path, threads: int, runs: int, seed: int = 0) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model_path), num_threads=threads)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    rng = np.random.default_rng(seed)
    high = 255 if detail["dtype"] != np.int8 else 127
    low = 0 if detail["dtype"] != np.int8 else -128
    image = rng.integers(low, high, detail["shape"]).astype(detail["dtype"])
    for _ in range(5):
        interpreter.set_tensor(detail["index"], image)
        interpreter.invoke()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interpreter.set_tensor(detail["index"], image)
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1000)
    return {"median": float(np.median(times)), "p90": float(np.percentile(times, 90)), "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lite", required=True, type=Path)
    parser.add_argument("--reference", type=Path)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=100)
    add_also_option(parser, "scored with both models")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.evaluation import evaluate
    from skinseg.export import export_model
    from skinseg.verification import verify

    work = Path(tempfile.mkdtemp(prefix="skinseg-edge-bench-"))
    int8 = export_model(args.lite, "tflite", work / "lite_int8.tflite", quantize="int8").path
    edgetpu = export_model(args.lite, "edgetpu", work / "lite_edgetpu_ready.tflite")
    result = {"machine": machine(),
              "lite": {"model": str(args.lite), "int8_bytes": int8.stat().st_size,
                       "edgetpu_mapped_percent": edgetpu.report["mapped_percent"]}}
    parity = verify(args.lite, int8, data_dir=args.data_dir, split="test")
    result["lite"]["test_int8"] = parity["candidate"]["per_image_mean"]
    result["lite"]["test_float"] = parity["reference"]["per_image_mean"]
    result["lite"]["int8_iou_drop"] = parity["iou_drop"]
    result["lite"]["int8_pixel_agreement"] = parity["pixel_agreement"]
    for split in ("val", "train"):
        result["lite"][f"{split}_int8"] = evaluate(int8, data_dir=args.data_dir, split=split)["per_image_mean"]
    for dataset, data_dir, label in validation_datasets(args.also)[1:]:  # Pratheepan's splits are above
        for model, kind in ((int8, "int8"), (args.lite, "float")):
            scores = evaluate(model, dataset, split="val", data_dir=data_dir)["per_image_mean"]
            result["lite"][f"{label}_val_{kind}"] = scores
    result["lite"]["latency_int8_ms"] = latency_ms(int8, args.threads, args.runs)
    if args.reference:
        ref = export_model(args.reference, "tflite", work / "reference_float32.tflite", quantize="none").path
        result["reference"] = {"model": str(args.reference), "float32_bytes": ref.stat().st_size,
                               "latency_float32_ms": latency_ms(ref, args.threads, max(10, args.runs // 10))}
        result["speedup"] = result["reference"]["latency_float32_ms"]["median"] / result["lite"]["latency_int8_ms"]["median"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
