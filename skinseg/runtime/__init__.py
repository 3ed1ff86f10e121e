"""Running a skin model on images of any size, with or without TensorFlow.

Pre- and post-processing live here once, in numpy and Pillow, for every runtime (the Keras one
included), so parity checks compare models rather than two preprocessing paths. This package
never imports TensorFlow at module level.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import SkinsegError
from ..images import covered_size, images_in, load_image, resize_rgb, threshold_levels, to_rgb, upsample_levels
from ..plugins import registry
from .adapt import adapt_probability

DEFAULT_THRESHOLD = 0.5


@dataclass
class LoadedModel:
    """What every runtime returns: a callable on a float batch plus the file's metadata.

    ``run`` maps (n, H, W, 3) pixels in 0..255 (uint8, or float32) to (n, H, W) float32 skin probabilities.
    """

    path: Path
    runtime: str
    input_size: tuple[int, int]  # (width, height)
    metadata: dict
    run: callable


def runtime_names() -> list[str]:
    return registry("runtimes").names()


def available_runtimes(path: str | os.PathLike | None = None) -> list[str]:
    """Installed runtimes that can open ``path`` (every installed one if None), best first."""
    entries = registry("runtimes").entries.values()
    usable = []
    for entry in entries:
        if path is not None and not entry.extra.get("accepts", lambda p: False)(Path(path)):
            continue
        if entry.extra.get("available", lambda: True)():
            usable.append(entry)
    usable.sort(key=lambda e: -e.extra.get("priority", 0))
    return [e.name for e in usable]


def open_model(path: str | os.PathLike, runtime: str | None = None, num_threads: int | None = None) -> LoadedModel:
    """Load a model file through the named runtime, or the best installed one for its format."""
    path = Path(path)
    if not path.exists():
        raise SkinsegError(f"{path}: model not found; check the path or run 'skinseg models'")
    if runtime is None:
        choices = available_runtimes(path)
        if not choices:
            raise SkinsegError(
                f"{path}: no installed runtime opens {path.suffix or 'this'} files; "
                "install one with: pip install 'skinseg[edge]' (or 'skinseg[train]' for .keras)"
            )
        runtime = choices[0]
    entry = registry("runtimes").get(runtime)
    if not entry.extra.get("available", lambda: True)():
        raise SkinsegError(f"runtime {runtime!r} is not installed; {entry.extra.get('install', '')}".rstrip("; "))
    return entry.obj(path, num_threads=num_threads)


def as_rgb_array(image) -> np.ndarray:
    """A path, Pillow image or array of any common layout as (H, W, 3) uint8, upright."""
    if isinstance(image, (str, os.PathLike)):
        return np.asarray(load_image(image))
    if isinstance(image, Image.Image):
        return np.asarray(to_rgb(ImageOps.exif_transpose(image)))
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise SkinsegError(f"expected an image array (H, W[, 1|3|4]), got shape {array.shape}")
    if array.dtype == np.uint16:
        array = (array / 257.0 + 0.5).astype(np.uint8)
    elif array.dtype != np.uint8:
        top = 1.0 if array.max() <= 1.0 else 255.0
        array = np.clip(array.astype(np.float64) / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    return np.ascontiguousarray(array[..., :3])


def preprocess(image: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 -> (1, h, w, 3) uint8 at the model's input size; every runtime takes it as it is
    (an int8 file's uint8 input needs no conversion at all) or as float pixels in 0..255."""
    return resize_rgb(image, input_size)[None]


@dataclass(frozen=True)
class InferenceSettings:
    """How a model's output becomes a mask. Each model file carries its own in its metadata, so a copy
    of a file runs exactly like the original wherever it goes; an explicit argument overrides it.

    ``adapt`` moves the model's probability by a colour model of the photo (:mod:`.adapt`), at the
    model's input size.
    """

    threshold: float = DEFAULT_THRESHOLD
    adapt: bool = False

    @classmethod
    def of(cls, metadata: dict) -> InferenceSettings:
        """The settings a model file's metadata records (its ``output`` section); defaults where it is silent."""
        output = metadata.get("output") or {}
        return cls(threshold=float(output.get("threshold", DEFAULT_THRESHOLD)), adapt=bool(output.get("adapt", False)))

    def override(self, **given) -> InferenceSettings:
        """These settings with every argument that is not None put in their place."""
        chosen = {key: value for key, value in given.items() if value is not None}
        if "threshold" in chosen and not 0.0 <= chosen["threshold"] <= 1.0:
            raise SkinsegError(f"threshold {chosen['threshold']} is outside 0..1; give a skin probability")
        return replace(self, **chosen)

    def as_metadata(self) -> dict:
        return asdict(self)


class Segmenter:
    """Turns images of any size into skin masks of the same size, with any runtime.

    >>> seg = Segmenter("model_int8.tflite")          # doctest: +SKIP
    >>> mask = seg.predict("photo.jpg")               # bool (H, W)  # doctest: +SKIP

    ``threshold`` and ``adapt`` default to the model file's own settings (:class:`InferenceSettings`).
    A photo is shrunk to the model's input size once, the model (and colour adaptation) run there, and
    the probability is brought back to the photo's size as 8-bit levels and thresholded: every step
    after the model costs time in proportion to the photo's pixels, so each is one fast pass.
    """

    def __init__(self, model: str | os.PathLike | None, runtime: str | None = None,
                 num_threads: int | None = None, threshold: float | None = None, adapt: bool | None = None):
        from ..models import resolve_model

        self.model = open_model(resolve_model(model), runtime=runtime, num_threads=num_threads)
        self.settings = InferenceSettings.of(self.model.metadata).override(threshold=threshold, adapt=adapt)

    @property
    def metadata(self) -> dict:
        return self.model.metadata

    @property
    def runtime(self) -> str:
        return self.model.runtime

    def model_probability(self, image) -> np.ndarray:
        """Skin probability (h, w) float32 at the model's input size, colour adaptation included."""
        return self._model_probability(as_rgb_array(image))

    def probability(self, image) -> np.ndarray:
        """Skin probability (H, W) float32 at the image's own size, in steps of 1/255."""
        rgb = as_rgb_array(image)
        return self._levels(rgb).astype(np.float32) / 255.0

    def predict(self, image) -> np.ndarray:
        """Skin mask (H, W) bool at the image's own size."""
        rgb = as_rgb_array(image)
        return threshold_levels(self._levels(rgb), self.settings.threshold)

    def _model_probability(self, rgb: np.ndarray) -> np.ndarray:
        small = preprocess(rgb, self.model.input_size)
        probability = self.model.run(small)[0]
        if self.settings.adapt:
            probability = adapt_probability(small[0], probability)
        return probability

    def _levels(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        covered = covered_size(height, width, self.model.input_size)
        return upsample_levels(self._model_probability(rgb), (width, height), covered)

    def predict_many(self, images: Iterable) -> Iterator[tuple[object, np.ndarray]]:
        """Stream (image, mask) pairs; folders are expanded to the images inside them."""
        for image in images:
            if isinstance(image, (str, os.PathLike)) and Path(image).is_dir():
                for path in images_in(image):
                    yield path, self.predict(path)
            else:
                yield image, self.predict(image)
