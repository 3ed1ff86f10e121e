"""Export a model to every format in the export table, reload each, score it and time it.

Like ``yolo benchmark``: one row per format and precision, and a format that fails is a row
with its error rather than a crash. Latency is the model call alone (pre- and post-processing
are the same numpy/Pillow code for every format), after warm-up runs.
"""

from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import numpy as np

from .datasets import load_dataset
from .errors import SkinsegError
from .export import export_formats, export_model
from .files import atomic_write_json, atomic_write_text, path_size
from .images import read_image, read_mask
from .metrics import confusion, summarise
from .runtime import Segmenter, preprocess

COLUMNS = ("format", "status", "size_mb", "iou", "iou_drop", "f1", "miou2", "latency_ms_median",
           "latency_ms_p90", "e2e_ms_median", "e2e_ms_p90", "images_per_s", "runtime")


def score_and_time(model_path: Path, images: list, truths: list, names: list, runtime: str | None = None,
                   num_threads: int | None = None, warmup: int = 2) -> dict:
    """Per-image mean scores of one model on preloaded images, with two times per photo: the model call
    alone (``latency_ms``) and end to end (``e2e_ms``: decoded photo in, full-size mask out, every host
    step included), since the second is what a user waits for."""
    segmenter = Segmenter(model_path, runtime=runtime, num_threads=num_threads)
    model = segmenter.model
    batches = [preprocess(image, model.input_size) for image in images]
    for image in images[:warmup]:
        segmenter.predict(image)
    calls, ends, confusions = [], [], []
    for image, batch, truth in zip(images, batches, truths):
        start = time.perf_counter()
        model.run(batch)
        calls.append(time.perf_counter() - start)
        start = time.perf_counter()
        mask = segmenter.predict(image)
        ends.append(time.perf_counter() - start)
        confusions.append(confusion(mask, truth))
    scores = summarise(names, confusions)["per_image_mean"]
    call_ms, end_ms = np.asarray(calls) * 1000.0, np.asarray(ends) * 1000.0
    return {"iou": scores["iou"], "f1": scores["f1"], "miou2": scores["miou2"],
            "latency_ms_median": float(np.median(call_ms)), "latency_ms_p90": float(np.percentile(call_ms, 90)),
            "e2e_ms_median": float(np.median(end_ms)), "e2e_ms_p90": float(np.percentile(end_ms, 90)),
            "images_per_s": float(len(end_ms) / max(1e-9, end_ms.sum() / 1000.0)), "runtime": segmenter.runtime}


def benchmark(model: str | os.PathLike, out_dir: str | os.PathLike, dataset: str = "pratheepan",
              split: str = "test", data_dir=None, formats: list[str] | None = None,
              num_threads: int | None = None, calib_samples: int | None = None, force: bool = False,
              progress: bool = False) -> list[dict]:
    """Rows of the benchmark table; also written to ``out_dir/benchmark.csv`` and ``.json``."""
    from tqdm.auto import tqdm

    model, out_dir = Path(model), Path(out_dir)
    if (out_dir / "benchmark.csv").exists() and not force:
        raise SkinsegError(f"{out_dir}: holds a finished benchmark; use --force to overwrite it or another --out")
    samples = load_dataset(dataset, data_dir).split(split)
    images = [read_image(s.image) for s in samples]
    truths = [read_mask(s.mask, expected_size=(i.shape[1], i.shape[0])) for s, i in zip(samples, images)]
    names = [s.name for s in samples]
    num_threads = num_threads or os.cpu_count()

    variants = [("keras", None, None)]
    for fmt in export_formats().values():
        if formats and fmt.name not in formats:
            continue
        variants += [(fmt.name, q, fmt) for q in fmt.quantize]
    rows, reference_iou = [], None
    for name, quantize, fmt in tqdm(variants, desc="benchmark", unit="format", disable=not progress):
        label = name if quantize in (None, "none") else f"{name}-{quantize}"
        row = {"format": label, "status": "ok"}
        try:
            if fmt is None:
                path = model
            else:
                path = fmt.default_path(out_dir / model.name, quantize)
                options = {"calib_samples": calib_samples} if quantize == "int8" else {}
                export_model(model, name, path, quantize=quantize, force=True, **options)
            row["size_mb"] = path_size(path) / 1e6
            row.update(score_and_time(path, images, truths, names, num_threads=num_threads))
            if fmt is None:
                reference_iou = row["iou"]
            row["iou_drop"] = reference_iou - row["iou"] if reference_iou is not None else None
        except SkinsegError as exc:
            row["status"] = f"error: {exc}"
        except Exception as exc:  # a failing format is a row, not a crash
            row["status"] = f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        rows.append({column: row.get(column) for column in COLUMNS})
    write_table(rows, out_dir, {"model": str(model), "dataset": dataset, "split": split, "images": len(samples),
                                "threads": num_threads})
    return rows


def write_table(rows: list[dict], out_dir: Path, context: dict) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out_dir / "benchmark.csv", buffer.getvalue())
    atomic_write_json(out_dir / "benchmark.json", {**context, "rows": rows})
