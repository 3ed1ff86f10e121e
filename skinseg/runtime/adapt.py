"""Colour adaptation: the model's skin probability sharpened by a colour model of this one photo.

Skin colour varies between photos (people, light, camera) far more than within one, so the pixels
the model is sure of tell what skin and background look like in *this* photo. The runtime counts
the colours of the confident skin pixels (probability above CONFIDENT) and of the confident
background (below 1 - CONFIDENT) in RGB histograms of BINS^3 cells, and adds each pixel's colour
log-likelihood ratio to the model's logit: a hand the model half saw takes the face's colour and
joins it, a beige wall the model half took for skin drops out. Classic skin detectors fitted such
a per-photo colour model from a detected face; here the network seeds it. It is numpy on
the host, at the model's input size right after the model call, so the model files, their graphs and
the Edge TPU mapping do not change. Settings chosen on validation splits only
(benchmarks/adapt_settings.py).
"""

from __future__ import annotations

import numpy as np

BINS = 32  # histogram cells per colour channel; a power of two up to 256
CONFIDENT = 0.8  # a pixel counts as sure skin above this probability, sure background below 1 - it
MIN_PIXELS = 64  # fewer sure pixels of either class than this and the photo is left as it is
_CLIP = 1e-4  # the logit of exactly 0 or 1 is infinite


def colour_cells(rgb: np.ndarray, bins: int = BINS) -> np.ndarray:
    """The histogram cell of each pixel of an (H, W, 3) uint8 photo, (H, W) in 0..bins^3-1."""
    shift = 8 - int(np.log2(bins))
    q = (rgb >> shift).astype(np.int32)
    return (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]


def adapt_probability(rgb: np.ndarray, probability: np.ndarray, bins: int = BINS, confident: float = CONFIDENT,
                      weight: float = 1.0) -> np.ndarray:
    """The (H, W) skin ``probability`` of an (H, W, 3) uint8 photo, moved by its colour model; in 0..1."""
    if bins & (bins - 1) or not 1 <= bins <= 256:
        raise ValueError(f"bins must be a power of two from 1 to 256, not {bins}")
    if rgb.dtype != np.uint8 or rgb.shape != (*probability.shape, 3):
        raise ValueError(f"expected an (H, W, 3) uint8 photo for an (H, W) probability, got {rgb.dtype} "
                         f"{rgb.shape} for {probability.shape}; skinseg.runtime.as_rgb_array converts one")
    cells = colour_cells(rgb, bins)
    flat, fit_cells = probability.ravel(), cells.ravel()
    skin = np.bincount(fit_cells[flat > confident], minlength=bins ** 3).astype(np.float64)
    background = np.bincount(fit_cells[flat < 1.0 - confident], minlength=bins ** 3).astype(np.float64)
    n_skin, n_background = skin.sum(), background.sum()
    if min(n_skin, n_background) < MIN_PIXELS:
        return probability
    # Each histogram is smoothed with as many counts again spread evenly over the cells, so a colour
    # neither class showed gets a ratio of exactly 1 and leaves the model's probability alone.
    skin = (skin + n_skin / bins ** 3) / (2 * n_skin)
    background = (background + n_background / bins ** 3) / (2 * n_background)
    # sigmoid(logit(p) + weight * log(ratio)) = p r / (p r + 1 - p) with r = ratio ** weight: one
    # gather and four array operations instead of a log and an exp per pixel (it runs on every photo).
    ratio = ((skin / background) ** weight).astype(np.float32)[cells]
    p = np.clip(probability, _CLIP, 1.0 - _CLIP, dtype=np.float32)
    moved = p * ratio
    return moved / (moved + (1.0 - p))
