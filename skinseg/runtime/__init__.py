"""Running a skin model on images of any size, with or without TensorFlow.

Pre- and post-processing live here once, in numpy and Pillow, for every runtime (the Keras one
included), so parity checks compare models rather than two preprocessing paths. This package
never imports TensorFlow at module level.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..errors import SkinsegError
from ..images import images_in, is_monochrome, load_image, resize_probability, resize_rgb, to_rgb
from ..plugins import registry
from .adapt import adapt_probability
from .refine import refine_probability
from .tiling import tiled_probability, worth_tiling

DEFAULT_THRESHOLD = 0.5


@dataclass
class LoadedModel:
    """What every runtime returns: a callable on a float batch plus the file's metadata.

    ``run`` maps (n, H, W, 3) float32 pixels in 0..255 to (n, H, W) skin probabilities.
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
    """(H, W, 3) uint8 -> (1, h, w, 3) float32 in 0..255 at the model's input size."""
    return resize_rgb(image, input_size).astype(np.float32)[None]


def postprocess(probability: np.ndarray, size: tuple[int, int], threshold: float) -> np.ndarray:
    """Model-size probability -> bool mask at (width, height) of the original image."""
    return resize_probability(probability, size) > threshold


class Segmenter:
    """Turns images of any size into skin masks of the same size, with any runtime.

    >>> seg = Segmenter("model_int8.tflite")          # doctest: +SKIP
    >>> mask = seg.predict("photo.jpg")               # bool (H, W)  # doctest: +SKIP

    ``threshold``, ``tiles`` (tiled inference, :mod:`skinseg.runtime.tiling`), ``adapt`` (the
    probability moved by the photo's own skin colours, :mod:`skinseg.runtime.adapt`) and ``refine``
    (edges snapped to the photo's, :mod:`skinseg.runtime.refine`) default to the model's own settings: its
    metadata, or for a shipped model its entry in models.json. ``monochrome`` is a model (file or
    shipped name) that black-and-white photos are handed to, loaded on the first such photo: by
    default the ``monochrome_model`` a shipped entry names (skinseg-lite's: skinseg-lite-camera,
    trained to find skin without colour); ``False`` keeps them with this model.
    """

    def __init__(self, model: str | os.PathLike, runtime: str | None = None,
                 num_threads: int | None = None, threshold: float | None = None, tiles: bool | None = None,
                 refine: bool | None = None, monochrome: str | os.PathLike | bool | None = None,
                 adapt: bool | None = None):
        from ..models import resolve_model, shipped_inference

        path = resolve_model(model)
        self.model = open_model(path, runtime=runtime, num_threads=num_threads)
        settings = {**self.model.metadata.get("output", {}), **shipped_inference(path)}
        self.threshold = threshold if threshold is not None else settings.get("threshold", DEFAULT_THRESHOLD)
        self.tiles = bool(tiles if tiles is not None else settings.get("tiles", False))
        self.refine = bool(refine if refine is not None else settings.get("refine", False))
        self.adapt = bool(adapt if adapt is not None else settings.get("adapt", False))
        if monochrome is None or monochrome is True:
            self.monochrome_model = settings.get("monochrome_model")
            if monochrome and not self.monochrome_model:
                raise SkinsegError(f"{path}: names no model for black-and-white photos; give one or drop the option")
        else:
            self.monochrome_model = monochrome or None
        if self.monochrome_model:
            resolve_model(self.monochrome_model)  # a wrong name fails now, not at the first black-and-white photo
        # the twin runs with what the caller set explicitly and its own defaults for the rest
        self._twin_options = {"runtime": runtime, "num_threads": num_threads, "threshold": threshold,
                              "tiles": tiles, "refine": refine, "adapt": adapt}
        self._twin = None
        self.monochrome_photos = 0  # how many photos went to the monochrome model

    @property
    def metadata(self) -> dict:
        return self.model.metadata

    @property
    def runtime(self) -> str:
        return self.model.runtime

    def probability(self, image) -> np.ndarray:
        """Skin probability (H, W) float32 at the image's own size."""
        rgb = as_rgb_array(image)
        return self._segmenter_for(rgb)._photo_probability(rgb)

    def predict(self, image) -> np.ndarray:
        """Skin mask (H, W) bool at the image's own size."""
        rgb = as_rgb_array(image)
        segmenter = self._segmenter_for(rgb)
        return segmenter._photo_probability(rgb) > segmenter.threshold

    def _segmenter_for(self, rgb: np.ndarray) -> Segmenter:
        """This segmenter, or for a black-and-white photo the model named for them."""
        if not self.monochrome_model or not is_monochrome(rgb):
            return self
        if self._twin is None:
            self._twin = Segmenter(self.monochrome_model, monochrome=False, **self._twin_options)
        self.monochrome_photos += 1
        return self._twin

    def _photo_probability(self, rgb: np.ndarray) -> np.ndarray:
        if self.tiles and worth_tiling(*rgb.shape[:2], self.model.input_size):
            probability = tiled_probability(rgb, self._probability)
        else:
            probability = self._probability(rgb)
        if self.adapt:
            probability = adapt_probability(rgb, probability)
        return refine_probability(rgb, probability) if self.refine else probability

    def _probability(self, rgb: np.ndarray) -> np.ndarray:
        prob = self.model.run(preprocess(rgb, self.model.input_size))[0]
        return resize_probability(prob, (rgb.shape[1], rgb.shape[0]))

    def predict_many(self, images: Iterable) -> Iterator[tuple[object, np.ndarray]]:
        """Stream (image, mask) pairs; folders are expanded to the images inside them."""
        for image in images:
            if isinstance(image, (str, os.PathLike)) and Path(image).is_dir():
                for path in images_in(image):
                    yield path, self.predict(path)
            else:
                yield image, self.predict(image)
