"""Resolving ``-m`` arguments: a path to a model file, or the name of a model shipped in the package."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from .errors import SkinsegError

# name -> file inside skinseg/shipped/, filled as trained models are released.
SHIPPED: dict[str, str] = {}


def shipped_models() -> dict[str, Path]:
    base = files("skinseg").joinpath("shipped")
    return {name: Path(str(base.joinpath(filename))) for name, filename in SHIPPED.items()}


def resolve_model(model: str | os.PathLike) -> Path:
    """A shipped model's name or a path -> the file's path."""
    shipped = shipped_models()
    if str(model) in shipped:
        return shipped[str(model)]
    path = Path(model)
    if not path.exists():
        known = ", ".join(sorted(shipped)) or "none yet"
        raise SkinsegError(f"{path}: model not found; give a model file or a shipped model ({known})")
    return path
