"""Edge-aware refinement: a skin probability resized up from the model's grid, snapped to the photo's edges.

The model sees a photo shrunk to its input size, so the probability resized back to the photo is
smooth where skin meets hair, clothes or background. A colour guided filter (He, Sun and Tang,
"Guided Image Filtering", TPAMI 2013) fits the probability, window by window, as a linear function
of the photo's colours, so the mask's edges follow the photo's own. Its coefficients are fitted on
the photo shrunk to GRID pixels along its long side and resized up (He and Sun, "Fast Guided
Filter", 2015): they vary slowly, so this costs a fraction of the full-size fit and scored as well
on the validation photos (benchmarks/refine_settings.py). It is numpy and Pillow, not OpenCV's
contrib guidedFilter, so the edge install (no TensorFlow, no OpenCV) keeps it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

GRID = 128  # long side, in pixels, of the grid the filter is fitted on
RADIUS = 2  # window of (2 RADIUS + 1)^2 grid pixels: about 20 pixels of a 500-pixel photo
EPS = 1e-4  # how far a window's colours must vary before its fit follows them; 0..1 pixel units


def _window_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean of (h, w, ...) ``x`` over the window around each pixel, windows clipped at the borders."""
    pad = [(radius + 1, radius), (radius + 1, radius)] + [(0, 0)] * (x.ndim - 2)
    total = np.pad(x, pad).cumsum(0).cumsum(1)
    k = 2 * radius + 1
    sums = total[k:, k:] - total[:-k, k:] - total[k:, :-k] + total[:-k, :-k]
    counts = [np.minimum(np.arange(n) + radius, n - 1) - np.maximum(np.arange(n) - radius, 0) + 1
              for n in x.shape[:2]]
    area = np.outer(*counts).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
    return sums / area


def _resize(channel: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(channel.astype(np.float32)).resize(size, Image.BILINEAR))


def refine_probability(rgb: np.ndarray, probability: np.ndarray, grid: int = GRID, radius: int = RADIUS,
                       eps: float = EPS) -> np.ndarray:
    """The (H, W) skin ``probability`` of an (H, W, 3) uint8 photo with its edges on the photo's, in 0..1."""
    height, width = probability.shape
    scale = min(1.0, grid / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Fitted in float64: the window sums come from running sums, which float32 would round.
    guide = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR), np.float64) / 255.0
    target = _resize(probability, size).astype(np.float64)

    mean_guide = _window_mean(guide, radius)
    mean_target = _window_mean(target, radius)
    covariance = _window_mean(guide * target[..., None], radius) - mean_guide * mean_target[..., None]
    outer = guide[..., :, None] * guide[..., None, :]
    spread = _window_mean(outer.reshape(*size[::-1], 9), radius).reshape(*size[::-1], 3, 3)
    spread = spread - mean_guide[..., :, None] * mean_guide[..., None, :] + eps * np.eye(3)
    slope = np.einsum("...ij,...j->...i", _inverse_3x3(spread), covariance)
    offset = mean_target - (slope * mean_guide).sum(-1)

    # Each pixel averages the fits of every window that covers it, then applies them at full size.
    slope, offset = _window_mean(slope, radius) / 255.0, _window_mean(offset, radius)
    refined = _resize(offset, (width, height)).copy()
    for c in range(3):
        refined += _resize(slope[..., c], (width, height)) * rgb[..., c]
    return np.clip(refined, 0.0, 1.0)


def _inverse_3x3(m: np.ndarray) -> np.ndarray:
    """Inverses of a grid of symmetric 3x3 matrices, by cofactors: several times faster than
    np.linalg on thousands of tiny systems, and exact enough in float64 with eps on the diagonal."""
    a, b, c, d, e, f = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2], m[..., 1, 1], m[..., 1, 2], m[..., 2, 2]
    c00, c01, c02 = d * f - e * e, c * e - b * f, b * e - c * d
    c11, c12, c22 = a * f - c * c, b * c - a * e, a * d - b * b
    determinant = a * c00 + b * c01 + c * c02
    inverse = np.stack([c00, c01, c02, c01, c11, c12, c02, c12, c22], -1).reshape(m.shape)
    return inverse / determinant[..., None, None]
