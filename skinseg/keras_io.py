"""Loading and saving Keras models safely (safe mode on, atomic writes, clear errors)."""

from __future__ import annotations

import json
import os
import shutil
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


# A .keras file is a zip archive; Keras reads its own members by name and ignores this one, which holds
# the same skinseg metadata a .tflite file embeds (the inference settings among it).
METADATA_MEMBER = "skinseg.json"


def keras_metadata(path: str | os.PathLike) -> dict:
    """The skinseg metadata a .keras archive carries, or {} if it carries none. No Keras needed."""
    try:
        with zipfile.ZipFile(path) as archive:
            if METADATA_MEMBER not in archive.namelist():
                return {}
            return json.loads(archive.read(METADATA_MEMBER).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SkinsegError(f"{path}: cannot read its skinseg metadata (truncated or damaged archive); "
                           "copy or save the model again") from None


def write_keras_metadata(path: str | os.PathLike, metadata: dict) -> None:
    """Put ``metadata`` into a .keras archive (replacing what it carried), atomically."""
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename != METADATA_MEMBER:
                    with source.open(item) as src, target.open(item, "w") as dst:
                        shutil.copyfileobj(src, dst)
            target.writestr(METADATA_MEMBER, json.dumps(metadata, indent=1, sort_keys=True))


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


def at_input_size(model, size: int | None):
    """The same network and weights taking ``size`` x ``size`` images.

    A fully convolutional model runs at any input size its strides divide, and a model trained at
    256x256 often segments small people better at a larger size. The rebuilt model must map
    size x size images to size x size masks; anything else is refused.
    """
    if size is None or tuple(model.input_shape[1:3]) == (size, size):
        return model
    config = model.get_config()
    inputs = [layer for layer in config.get("layers", []) if layer["class_name"] == "InputLayer"]
    if len(inputs) != 1:
        raise SkinsegError(f"{model.name}: only a functional model with one input can be rebuilt at another input size")
    inputs[0]["config"]["batch_shape"] = [None, size, size, model.input_shape[-1]]
    try:
        rebuilt = type(model).from_config(config)
        rebuilt.set_weights(model.get_weights())
    except Exception as exc:  # Keras raises shape errors of many types
        raise SkinsegError(f"{model.name} does not run at {size}x{size} ({type(exc).__name__}); "
                           "give an input size its strides divide, such as a multiple of 32") from None
    if tuple(rebuilt.output_shape[1:3]) != (size, size):
        raise SkinsegError(f"{model.name} gives {rebuilt.output_shape[1]}x{rebuilt.output_shape[2]} masks at "
                           f"{size}x{size}; give an input size its strides divide, such as a multiple of 32")
    return rebuilt
