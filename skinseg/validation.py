"""The validation suite: one model scored on the validation splits of several datasets at once.

Every default is chosen here. A change that helps Pratheepan's 16 validation photos and costs street
photos or hands shows up as a loss on ``ccp`` or ``hgr``; the macro mean weighs each dataset the same,
however many photos it has. Pratheepan's test split is not in the suite: it is read once, after a
decision. Each photo is timed end to end (decoded RGB in, full-size mask out), decoding excluded.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import load_dataset, parse_dataset_spec
from .errors import SkinsegError
from .evaluation import evaluate_samples
from .models import DEFAULT_MODEL
from .runtime import Segmenter

# Folders under the data root, each scored on its validation split (hgr is all validation).
SUITE = ("pratheepan", "sfa", "abdomen", "ccp", "hgr")
SUITE_METRICS = ("f1", "iou", "miou2")


@dataclass(frozen=True)
class SuiteDataset:
    """One dataset of the suite: its label in tables, the registered dataset and its folder."""

    label: str
    dataset: str
    data_dir: Path


def data_root(given: str | os.PathLike | None = None) -> Path:
    """The folder holding the suite's datasets: ``given``, else ``$SKINSEG_DATA``."""
    root = given or os.environ.get("SKINSEG_DATA")
    if not root:
        raise SkinsegError("the validation suite needs its datasets: pass --data-root or set SKINSEG_DATA "
                           "to the folder holding pratheepan/, sfa/, abdomen/, ccp/ and hgr/")
    if not Path(root).is_dir():
        raise SkinsegError(f"{root}: data root not found; point --data-root or SKINSEG_DATA at it")
    return Path(root)


def suite_datasets(root: str | os.PathLike | None = None, extra: Sequence[str] = (),
                   defaults: bool = True) -> list[SuiteDataset]:
    """The suite's datasets (the five defaults under ``root``) plus ``extra`` specs (``NAME=DIR`` or a
    folder dataset's ``DIR``)."""
    entries = []
    if defaults:
        base = data_root(root)
        entries = [SuiteDataset(name, "pratheepan" if name == "pratheepan" else "folder", base / name)
                   for name in SUITE]
    for spec in extra:
        name, folder = parse_dataset_spec(spec)
        if folder is None and Path(name).is_dir():  # a bare folder is a folder dataset
            name, folder = "folder", name
        label = Path(folder).name if folder and name == "folder" else name
        if any(e.label == label for e in entries):
            raise SkinsegError(f"{spec}: the suite already has a dataset called {label!r}")
        entries.append(SuiteDataset(label, name, Path(folder) if folder else None))
    if not entries:
        raise SkinsegError("the suite has no datasets: keep the defaults or add --dataset")
    return entries


def score_dataset(segmenter: Segmenter, entry: SuiteDataset, progress: bool = False) -> dict:
    """Per-image scores of ``segmenter`` on one dataset's validation split, and its time per photo."""
    samples = load_dataset(entry.dataset, entry.data_dir).split("val")
    return evaluate_samples(segmenter, samples, progress, desc=entry.label)


def validate(model: str | os.PathLike | None = None, root: str | os.PathLike | None = None,
             extra: Sequence[str] = (), defaults: bool = True, runtime: str | None = None,
             num_threads: int | None = None, progress: bool = False, **settings) -> dict:
    """Score ``model`` on every suite dataset; ``settings`` go to :class:`Segmenter` (threshold...).

    Returns ``{"datasets": {label: evaluate-style result + latency_ms}, "macro": {metric: mean over
    datasets}}`` plus the model, runtime and settings it ran with.
    """
    entries = suite_datasets(root, extra, defaults)
    segmenter = Segmenter(model, runtime=runtime, num_threads=num_threads, **settings)
    results = {entry.label: score_dataset(segmenter, entry, progress) for entry in entries}
    macro = {m: float(np.mean([r["per_image_mean"][m] for r in results.values()])) for m in SUITE_METRICS}
    macro["latency_ms_median"] = float(np.median([r["latency_ms"]["median"] for r in results.values()]))
    return {"model": str(model or DEFAULT_MODEL), "runtime": segmenter.runtime, "threads": num_threads,
            "settings": segmenter.settings.as_metadata(), "datasets": results, "macro": macro}


def paired_gain(candidate: dict, baseline: dict, metric: str = "f1") -> dict:
    """Per-dataset and macro gain of ``candidate`` over ``baseline`` (two :func:`validate` results),
    paired photo by photo, each with its standard error, so a gain can be told from noise."""
    if not all(isinstance(r, dict) and "datasets" in r for r in (candidate, baseline)):
        raise SkinsegError("--against needs a 'skinseg validate --json' result; this is another kind of file")
    rows = {}
    for label, result in candidate["datasets"].items():
        if label not in baseline["datasets"]:
            continue
        before = {r["name"]: r[metric] for r in baseline["datasets"][label]["per_image"]}
        diffs = np.asarray([r[metric] - before[r["name"]] for r in result["per_image"] if r["name"] in before])
        if not len(diffs):
            continue
        se = float(diffs.std(ddof=1) / math.sqrt(len(diffs))) if len(diffs) > 1 else float("nan")
        rows[label] = {"gain": float(diffs.mean()), "se": se, "photos": len(diffs),
                       "up": int((diffs > 0).sum()), "down": int((diffs < 0).sum())}
    if not rows:
        raise SkinsegError("the two suite results share no dataset; score both on the same suite")
    gains = [r["gain"] for r in rows.values()]
    macro_se = math.sqrt(sum(r["se"] ** 2 for r in rows.values() if not math.isnan(r["se"]))) / len(rows)
    return {"metric": metric, "datasets": rows, "macro": {"gain": float(np.mean(gains)), "se": macro_se}}
