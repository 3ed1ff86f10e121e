"""Tiled inference: a large photo seen as two overlapping halves, each at the model's input size.

A 256x256 model sees a 640x480 photo shrunk 2.5x along its long side, which blurs thin skin
regions (fingers, hair lines, small faces in a group photo). Two tiles, each covering 60% of the
long side and all of the short one, show the long side at 1.67x the detail for two model calls
instead of one; their probabilities are averaged where they overlap. It is used only where a tile
still has at least the model's input size in pixels along the long side: smaller photos would
only be upsampled, which adds a call and no detail.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TILE_SHARE = 0.6  # of the photo's long side, per tile; the two overlap by 20% of it


def worth_tiling(height: int, width: int, input_size: tuple[int, int]) -> bool:
    """Whether each tile of an (height, width) photo keeps at least the model's input resolution."""
    return TILE_SHARE * max(height, width) >= max(input_size)


def tile_spans(length: int) -> list[tuple[int, int]]:
    """(start, stop) of the two tiles along a side of ``length`` pixels."""
    tile = int(round(TILE_SHARE * length))
    return [(0, tile), (length - tile, length)]


def tile_windows(height: int, width: int) -> list[tuple[slice, slice]]:
    """The (rows, columns) windows of the two tiles of an (height, width) photo."""
    if width >= height:
        return [(slice(None), slice(start, stop)) for start, stop in tile_spans(width)]
    return [(slice(start, stop), slice(None)) for start, stop in tile_spans(height)]


def tiles_of(rgb: np.ndarray) -> list[np.ndarray]:
    """The two (h, w, 3) tiles of a photo, as tiled inference cuts them."""
    return [np.ascontiguousarray(rgb[window]) for window in tile_windows(*rgb.shape[:2])]


def tiled_probability(rgb: np.ndarray, probability: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The (H, W) skin probability of an (H, W, 3) photo from its two tiles, averaged where they overlap.

    ``probability`` maps an (h, w, 3) uint8 crop to its (h, w) skin probability.
    """
    height, width = rgb.shape[:2]
    total = np.zeros((height, width), np.float32)
    cover = np.zeros((height, width), np.float32)
    for window in tile_windows(height, width):
        total[window] += probability(np.ascontiguousarray(rgb[window]))
        cover[window] += 1.0
    return total / cover
