"""Loading and saving Keras models safely (safe mode on, atomic writes, clear errors)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from .errors import SkinsegError, require
from .files import atomic_path


def load_keras_model(path: str | os.PathLike, compile: bool = False):
    """Load a ``.keras`` file with Keras safe mode (no arbitrary code from the file)."""
    path = Path(path)
    if not path.is_file():
        raise SkinsegError(f"{path}: model not found; give a .keras file from a training run")
    if not zipfile.is_zipfile(path):
        raise SkinsegError(f"{path}: not a .keras archive (truncated or wrong file); use best.keras or last.keras of a run")
    keras = require("keras", "train")
    from . import losses  # noqa: F401  registers the custom loss for compiled models

    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as exc:  # Keras raises many types for damaged archives
        raise SkinsegError(f"{path}: cannot load Keras model ({type(exc).__name__}: {str(exc)[:200]})") from None


def save_keras_model(model, path: str | os.PathLike) -> None:
    """Save atomically: an interrupted save leaves the previous file intact.

    Synchronized batch norm is a training-time setting of multi-worker runs and only exists on
    the TensorFlow backend; saved models have it off so they load on every backend.
    """
    synchronized = [layer for layer in model.layers if getattr(layer, "synchronized", False)]
    for layer in synchronized:
        layer.synchronized = False
    try:
        with atomic_path(path) as tmp:
            model.save(tmp)
    finally:
        for layer in synchronized:
            layer.synchronized = True
