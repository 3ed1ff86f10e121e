"""SavedModel export through Keras' own ``model.export`` (a ``serving_default`` signature)."""

from __future__ import annotations

from pathlib import Path

from ..files import atomic_path, atomic_write_json, path_size
from . import ExportResult
from .metadata import build_metadata

METADATA_FILE = "skinseg.json"


def export_savedmodel(model_path: Path, out: Path, quantize: str = "none", progress: bool = False,
                      img_size: int | None = None, threshold: float | None = None,
                      adapt: bool | None = None) -> ExportResult:
    from ..keras_io import at_input_size, load_keras_model

    model = at_input_size(load_keras_model(model_path), img_size)
    metadata = build_metadata(model_path, model, "savedmodel", quantize, threshold=threshold, adapt=adapt)
    with atomic_path(out) as tmp:
        model.export(str(tmp), format="tf_saved_model", verbose=False)
        atomic_write_json(tmp / METADATA_FILE, metadata)
    return ExportResult(path=out, format="savedmodel", quantize=quantize, size_bytes=path_size(out),
                        metadata=metadata, notes=["serving_default signature, dynamic batch"])
