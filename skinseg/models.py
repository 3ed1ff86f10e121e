"""Resolving ``-m`` arguments: a path to a model file, or the name of a model shipped in the package.

Shipped models live in ``skinseg/shipped/`` and are listed by ``models.json`` there (file, format,
metrics, how they were made), so ``skinseg predict`` works right after install. The catalogue never
changes how a model runs: each file carries its own inference settings.
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


def file_metadata(path: str | os.PathLike) -> dict:
    """The skinseg metadata a .keras or .tflite file carries ({} if none), read without Keras or an
    interpreter."""
    path = Path(path)
    if path.suffix == ".keras":
        from .keras_io import keras_metadata

        return keras_metadata(path)
    if path.suffix == ".tflite":
        from .tflite_file import read_metadata

        return read_metadata(path) or {}
    return {}


def model_settings(path: str | os.PathLike) -> dict:
    """The inference settings a model file carries in its own metadata (threshold, adapt): the only
    place they live, so a copy of a file runs like the original."""
    from .runtime import InferenceSettings

    return InferenceSettings.of(file_metadata(path)).as_metadata()


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
