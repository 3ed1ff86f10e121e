"""Datasets: named collections of (image, mask) pairs divided into splits.

A dataset plugin registers a factory; :func:`load_dataset` finds it by name and resolves where
its files live (``--data-dir``, then ``$SKINSEG_DATA/NAME``, then the user cache).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SkinsegError
from ..plugins import registry

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Sample:
    """One photograph and its hand-drawn skin mask."""

    name: str
    image: Path
    mask: Path | None = None


@dataclass
class Dataset:
    """A loaded dataset: its root folder and its samples per split."""

    name: str
    root: Path
    splits: dict[str, list[Sample]] = field(default_factory=dict)
    scheme: str = ""

    def split(self, name: str) -> list[Sample]:
        """The samples of one split; ``all`` is every sample."""
        if name == "all":
            return [s for part in self.splits.values() for s in part]
        if name not in self.splits:
            available = ", ".join([*self.splits, "all"])
            raise SkinsegError(
                f"dataset {self.name!r} ({self.scheme} split) has no split {name!r}; "
                f"available: {available}"
            )
        return self.splits[name]


def cache_root() -> Path:
    """Where downloaded datasets are kept (``$SKINSEG_CACHE`` or ``~/.cache/skinseg``)."""
    env = os.environ.get("SKINSEG_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "skinseg"


def candidate_dirs(name: str, data_dir: str | os.PathLike | None) -> list[Path]:
    """Where a dataset may live, in the order they are tried."""
    if data_dir is not None:
        return [Path(data_dir)]
    dirs = []
    if os.environ.get("SKINSEG_DATA"):
        dirs.append(Path(os.environ["SKINSEG_DATA"]) / name)
    dirs.append(cache_root() / name)
    return dirs


def random_split(
    samples: list[Sample], ratios: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0
) -> dict[str, list[Sample]]:
    """Shuffle with a seed and cut into train/val/test by ``ratios``."""
    if len(ratios) != 3 or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise SkinsegError(f"split ratios must be three non-negative numbers, got {ratios}")
    order = sorted(samples, key=lambda s: s.name)
    random.Random(seed).shuffle(order)
    total = sum(ratios)
    n_train = round(len(order) * ratios[0] / total)
    n_val = round(len(order) * ratios[1] / total)
    return {
        "train": order[:n_train],
        "val": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }


def load_dataset(name: str, data_dir: str | os.PathLike | None = None, **options) -> Dataset:
    """Load a registered dataset by name.

    ``options`` go to the dataset's factory: ``scheme`` (e.g. ``seed``, ``random``, ``manifest``),
    ``subset``, ``ratios`` and ``seed`` for random splits, ``download``.
    """
    factory = registry("datasets").get(name).obj
    options = {k: v for k, v in options.items() if v is not None}
    return factory(data_dir=data_dir, **options)


def parse_dataset_spec(spec: str) -> tuple[str, str | None]:
    """``NAME`` or ``NAME=DATA_DIR`` (so several datasets can each have their own folder)."""
    name, sep, path = spec.partition("=")
    return name.strip(), (path.strip() or None) if sep else None


def dataset_names() -> list[str]:
    return registry("datasets").names()


def describe(dataset: Dataset) -> dict:
    """Counts per split, image size range and mean skin fraction (reads every mask)."""
    from ..images import image_size, read_mask

    splits = {}
    for split, samples in dataset.splits.items():
        sizes = [image_size(s.image) for s in samples]
        fractions = [float(read_mask(s.mask).mean()) for s in samples if s.mask is not None]
        splits[split] = {
            "count": len(samples),
            "min_size": [min(w for w, _ in sizes), min(h for _, h in sizes)] if sizes else None,
            "max_size": [max(w for w, _ in sizes), max(h for _, h in sizes)] if sizes else None,
            "skin_fraction": sum(fractions) / len(fractions) if fractions else None,
        }
    return {"name": dataset.name, "root": str(dataset.root), "scheme": dataset.scheme, "splits": splits}
