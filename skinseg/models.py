"""Resolving ``-m`` arguments: a path to a model file, or the name of a model shipped in the package.

Shipped models live in ``skinseg/shipped/`` and are described by ``models.json`` there (file,
format, metrics, how they were made), so ``skinseg predict`` works right after install.
"""

from __future__ import annotations

import functools
import json
import os
from importlib.resources import files
from pathlib import Path

from .errors import SkinsegError

DEFAULT_MODEL = "skinseg-lite-int8"


def _shipped_dir() -> Path:
    return Path(str(files("skinseg").joinpath("shipped")))


@functools.lru_cache(maxsize=None)
def shipped_models() -> dict[str, dict]:
    """name -> its entry in shipped/models.json, for the models whose file is present."""
    base = _shipped_dir()
    index = base / "models.json"
    if not index.exists():
        return {}
    entries = json.loads(index.read_text(encoding="utf-8"))
    return {name: {**entry, "path": base / entry["file"]} for name, entry in entries.items()
            if (base / entry["file"]).exists()}


def shipped_inference(path: str | os.PathLike) -> dict:
    """The inference settings (``tiles``, ``adapt``, ``refine``, ``threshold``) models.json gives the shipped model
    at ``path``."""
    path = Path(path).resolve()
    for entry in shipped_models().values():
        if entry["path"].resolve() == path:
            return entry.get("inference", {})
    return {}


def default_inference_metrics(entry: dict) -> tuple[str, dict]:
    """A shipped entry's inference setting in words and its metrics under it (models.json keeps
    "metrics" for one call, "metrics_tiled" with tiles, "metrics_refined" with refined edges on top and
    "metrics_adapted" with colour adaptation on top of those)."""
    inference = entry.get("inference", {})
    if inference.get("adapt") and "metrics_adapted" in entry:
        steps = [step for step in ("tiles", "adapt", "refine") if inference.get(step)]
        return "+".join(steps), entry["metrics_adapted"]
    if inference.get("refine") and "metrics_refined" in entry:
        return ("tiles+refine" if inference.get("tiles") else "refine"), entry["metrics_refined"]
    if inference.get("tiles") and "metrics_tiled" in entry:
        return "tiles", entry["metrics_tiled"]
    return "one call", entry.get("metrics", {})


def resolve_model(model: str | os.PathLike | None) -> Path:
    """A shipped model's name or a path -> the file's path; None means the default shipped model."""
    shipped = shipped_models()
    model = DEFAULT_MODEL if model is None else model
    if str(model) in shipped:
        return shipped[str(model)]["path"]
    path = Path(model)
    if not path.exists():
        known = ", ".join(sorted(shipped)) or "none"
        raise SkinsegError(f"{path}: model not found; give a model file or a shipped model ({known})")
    return path
