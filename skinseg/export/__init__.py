"""Exporting trained Keras models to deployable artifacts.

One table of :class:`ExportFormat` rows (name, suffix, accepted options, where it runs) drives
option checking, dispatch and the benchmark loop; a format is a row plus one function, and
plugins add rows through ``register_exporters``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SkinsegError
from ..plugins import registry

QUANTIZE_MODES = ("none", "float16", "dynamic", "int8")


@dataclass(frozen=True)
class ExportFormat:
    """One row of the export table."""

    name: str
    suffix: str  # appended to the model's stem for the default output path
    options: frozenset  # keyword options this format accepts besides ``quantize``
    quantize: tuple[str, ...]  # quantization modes it accepts; the first is its default
    runs_on: str  # which runtimes load the artifact
    export: Callable  # export(model_path, out, **options) -> ExportResult
    description: str = ""
    is_folder: bool = False

    def default_path(self, model_path: Path, quantize: str) -> Path:
        tag = "" if quantize in ("none", "") or len(self.quantize) == 1 else f"_{quantize}"
        return model_path.with_name(f"{model_path.stem}{tag}{self.suffix}")


@dataclass
class ExportResult:
    path: Path
    format: str
    quantize: str
    size_bytes: int
    metadata: dict
    notes: list[str] = field(default_factory=list)
    report: dict | None = None


def export_formats() -> dict[str, ExportFormat]:
    return {name: entry.obj for name, entry in registry("exporters").entries.items()}


def get_format(name: str) -> ExportFormat:
    return registry("exporters").get(name).obj


def check_options(fmt: ExportFormat, quantize: str | None, options: dict) -> str:
    """Validate options against the table; return the quantization mode to use."""
    quantize = quantize or fmt.quantize[0]
    if quantize not in fmt.quantize:
        raise SkinsegError(f"format {fmt.name!r} has no quantize mode {quantize!r}; available: {', '.join(fmt.quantize)}")
    given = {k for k, v in options.items() if v is not None}
    unknown = given - fmt.options
    if unknown:
        flags = ", ".join("--" + k.replace("_", "-") for k in sorted(unknown))
        raise SkinsegError(f"format {fmt.name!r} does not accept {flags}")
    calibration = {k for k in given if k.startswith("calib") or k in ("io_type", "equalize", "bias_correction")}
    if calibration and quantize != "int8":
        flags = ", ".join("--" + k.replace("_", "-") for k in sorted(calibration))
        raise SkinsegError(f"{flags} only work with --quantize int8")
    return quantize


def _require_tensorflow_backend() -> None:
    import sys

    keras = sys.modules.get("keras")
    if keras is not None and keras.backend.backend() != "tensorflow":
        raise SkinsegError(f"export needs the tensorflow Keras backend, this process runs {keras.backend.backend()}; "
                           "run it with KERAS_BACKEND=tensorflow (a .keras file from any backend exports)")


def export_model(model: str | os.PathLike, format: str, out: str | os.PathLike | None = None,
                 quantize: str | None = None, force: bool = False, progress: bool = False,
                 **options) -> ExportResult:
    """Export a ``.keras`` model (or a shipped float model, by name) to ``format``; never overwrites an
    artifact without ``force``. ``img_size=352`` rebuilds the network at 352x352 first."""
    fmt = get_format(format)
    quantize = check_options(fmt, quantize, options)
    _require_tensorflow_backend()
    model, beside = _model_file(model)
    img_size = options.get("img_size")
    if out is None:
        # A rebuilt model gets its size in the name, so it never collides with the model's own export.
        stem = model.stem if img_size is None else f"{model.stem}_{img_size}"
        out = fmt.default_path(beside / f"{stem}{model.suffix}", quantize)
    out = Path(out)
    if out.exists() and not force:
        raise SkinsegError(f"{out}: already exists; use --force to overwrite it or choose another --out")
    options = {k: v for k, v in options.items() if v is not None}
    result = fmt.export(model, out, quantize=quantize, progress=progress, **options)
    if img_size is not None:
        result.notes.append(f"rebuilt at {img_size}x{img_size}; {model.name} is unchanged")
    return result


def _model_file(model: str | os.PathLike) -> tuple[Path, Path]:
    """The .keras file to export, and the folder a default output goes to: beside a run's model,
    or the working directory for a shipped model (never inside the installed package)."""
    from ..models import shipped_models

    shipped = shipped_models().get(str(model))
    if shipped is not None and not Path(model).exists():
        if shipped["format"] != "keras":
            raise SkinsegError(f"{model}: a {shipped['format']} file; export its float twin "
                               f"{str(model).removesuffix('-int8')} instead")
        return shipped["path"], Path.cwd()
    model = Path(model)
    if not model.is_file():
        raise SkinsegError(f"{model}: model not found; give the .keras file of a training run or a shipped float model")
    return model, model.parent
