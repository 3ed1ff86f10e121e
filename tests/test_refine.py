"""Refined edges: the resized-up probability snapped to the photo's edges by a colour guided filter.

The CLI flag, verify and shipped-setting tests cover tiles and refine together, in test_tiling.py.
"""

import numpy as np
import pytest

from skinseg.evaluation import evaluate
from skinseg.images import load_image, resize_rgb
from skinseg.runtime import Segmenter
from skinseg.runtime.refine import refine_probability

from conftest import PRATHEEPAN

PHOTO = PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto" / "family.jpg"


def two_colour_photo(width=400, height=300, edge=200):
    """Skin tone left of ``edge``, blue right of it, with a little sensor noise."""
    rgb = np.empty((height, width, 3), np.float32)
    rgb[:, :edge] = (205, 150, 125)
    rgb[:, edge:] = (40, 70, 160)
    rgb += np.random.default_rng(0).normal(0, 3, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_a_blurred_edge_is_moved_onto_the_photos_edge():
    # What a model's map resized up from 256 pixels looks like: a soft ramp, here also 4 pixels off.
    rgb = two_colour_photo()
    x = np.arange(400, dtype=np.float32)
    blurred = np.tile(1 / (1 + np.exp((x - 204) / 8)), (300, 1))
    refined = refine_probability(rgb, blurred)
    skin = np.tile(x < 200, (300, 1))
    assert np.count_nonzero((blurred > 0.5) != skin) == 300 * 4  # the ramp's mistakes
    assert np.count_nonzero((refined > 0.5) != skin) == 0
    # The probability now jumps where the colour does, instead of sliding across it.
    assert np.max(blurred[:, 199] - blurred[:, 200]) < 0.05 < 0.3 < np.min(refined[:, 199] - refined[:, 200])


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (10, 4000), (4000, 7), (480, 640)])
def test_any_photo_size_gives_a_probability_of_its_size(shape):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    refined = refine_probability(rgb, rng.random(shape, dtype=np.float32))
    assert refined.shape == shape and refined.dtype == np.float32
    assert np.all((refined >= 0) & (refined <= 1))


def test_a_grayscale_photo_gives_a_finite_probability():
    # R = G = B makes the colours' covariance singular; the filter's eps keeps the fit solvable.
    gray = np.repeat(np.asarray(load_image(PHOTO).convert("L"))[..., None], 3, axis=2)
    probability = Segmenter("skinseg-lite-int8", refine=False).probability(gray)
    refined = refine_probability(gray, probability)
    assert np.all(np.isfinite(refined)) and np.mean((refined > 0.5) == (probability > 0.5)) > 0.95


def test_refined_edges_raise_the_shipped_models_validation_score():
    # The measurement record_refine.py rests on, on the real model, data and runtime.
    kwargs = dict(data_dir=PRATHEEPAN, split="val", tiles=True)
    plain = evaluate("skinseg-lite-int8", refine=False, **kwargs)
    refined = evaluate("skinseg-lite-int8", refine=True, **kwargs)
    assert refined["refine"] is True and plain["refine"] is False
    assert refined["per_image_mean"]["miou2"] > plain["per_image_mean"]["miou2"] + 0.003


def test_the_refined_mask_is_the_photos_size_and_close_to_the_plain_one():
    rgb = resize_rgb(np.asarray(load_image(PHOTO)), (640, 480))
    plain = Segmenter("skinseg-lite-int8", tiles=True, refine=False).predict(rgb)
    refined = Segmenter("skinseg-lite-int8", tiles=True, refine=True).predict(rgb)
    assert refined.shape == (480, 640) and 0.95 < np.mean(plain == refined) < 1.0
