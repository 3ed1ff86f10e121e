"""Writing skin masks (and overlays) for files and folders."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .errors import SkinsegError
from .images import images_in, save_png
from .runtime import Segmenter, as_rgb_array


def expand_inputs(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Files as given, folders as the images inside them (recursively, sorted)."""
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = images_in(path)
            if not found:
                raise SkinsegError(f"{path}: folder holds no images")
            paths.extend(found)
        elif path.exists():
            paths.append(path)
        else:
            raise SkinsegError(f"{path}: not found; give image files or folders")
    return paths


def overlay_mask(image: np.ndarray, mask: np.ndarray, colour=(255, 0, 64), alpha: float = 0.45) -> np.ndarray:
    """The photo with skin tinted, for a quick visual check."""
    tinted = image.astype(np.float32)
    tinted[mask] = (1 - alpha) * tinted[mask] + alpha * np.asarray(colour, np.float32)
    return tinted.astype(np.uint8)


def predict_files(model, inputs, out, overlay: bool = False, runtime=None, num_threads=None,
                  threshold=None, adapt: bool | None = None, force: bool = False) -> Iterator[tuple[Path, Path | None, str | None]]:
    """Segment every input into ``out/STEM.png``; yield (input, output, error message or None).

    Existing masks are never overwritten without ``force``; one bad image does not stop the rest.
    """
    paths = expand_inputs(inputs)
    out = Path(out)
    targets = {}
    written: dict[Path, Path] = {}  # every file this run writes -> the input that writes it
    for path in paths:
        target = out / f"{path.stem}.png"
        # An overlay is an output too: it may not collide with a mask (photo good_overlay.jpg beside
        # good.jpg) or replace a finished file without --force.
        for output in (target, out / f"{path.stem}_overlay.png") if overlay else (target,):
            if output in written:
                raise SkinsegError(f"{path}: {written[output].name} also writes {output.name}; rename one of them")
            if output.exists() and not force:
                raise SkinsegError(f"{output}: already exists; use --force to overwrite or another --out")
            written[output] = path
        targets[path] = target
    segmenter = Segmenter(model, runtime=runtime, num_threads=num_threads, threshold=threshold, adapt=adapt)
    for path, target in targets.items():
        try:
            image = as_rgb_array(path)
        except SkinsegError as exc:
            yield path, None, str(exc)
            continue
        mask = segmenter.predict(image)
        save_png(target, mask.astype(np.uint8) * 255)
        if overlay:
            save_png(out / f"{path.stem}_overlay.png", overlay_mask(image, mask))
        yield path, target, None

