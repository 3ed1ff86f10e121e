"""Colour adaptation: the model's probability moved by a colour model fitted on this photo's sure pixels.

The runtime applies it at the model's input size; settings in files and their overrides are covered
in test_inference.py.
"""

import numpy as np
import pytest

from skinseg.evaluation import evaluate
from skinseg.images import load_image
from skinseg.runtime import Segmenter
from skinseg.runtime.adapt import MIN_PIXELS, adapt_probability

from conftest import PRATHEEPAN

PHOTO = PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto" / "family.jpg"
SKIN, WALL, SHIRT = (205, 150, 125), (40, 70, 160), (120, 200, 60)


def three_colour_photo():
    """A 300x300 photo: skin on the left third, a blue wall in the middle, a green shirt on the right."""
    rgb = np.empty((300, 300, 3), np.float32)
    for i, colour in enumerate((SKIN, WALL, SHIRT)):
        rgb[:, 100 * i:100 * (i + 1)] = colour
    rgb += np.random.default_rng(0).normal(0, 2, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_unsure_pixels_take_the_side_of_the_sure_pixels_of_their_colour():
    rgb = three_colour_photo()
    probability = np.empty((300, 300), np.float32)
    probability[:150, :100], probability[150:, :100] = 0.95, 0.4  # a face seen, a hand half seen
    probability[:150, 100:200], probability[150:, 100:200] = 0.05, 0.6  # the same wall, half taken for skin
    probability[:, 200:] = 0.45  # the shirt: the model is unsure everywhere
    adapted = adapt_probability(rgb, probability)
    # (A noisy pixel whose colour cell no sure pixel fell in keeps the model's probability.)
    assert np.mean(adapted[150:, :100] > 0.5) > 0.99 and np.mean(adapted[150:, 100:200] < 0.5) > 0.99
    assert np.mean(probability[150:, :100] > 0.5) == 0 and np.mean(probability[150:, 100:200] < 0.5) == 0
    # The sure pixels stay sure, and a colour neither side showed keeps the model's probability.
    assert np.all(adapted[:150, :100] > 0.95) and np.all(adapted[:150, 100:200] < 0.05)
    np.testing.assert_allclose(adapted[:, 200:], 0.45, atol=1e-6)


def test_a_photo_with_too_few_sure_pixels_of_either_class_is_left_alone():
    rgb = three_colour_photo()
    probability = np.full((300, 300), 0.05, np.float32)
    probability[0, :MIN_PIXELS - 1] = 0.95  # fewer sure skin pixels than a colour model needs
    probability[1:, :100] = 0.4
    assert adapt_probability(rgb, probability) is probability


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (10, 4000), (4000, 7), (480, 640)])
def test_any_photo_size_gives_a_probability_of_its_size(shape):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    adapted = adapt_probability(rgb, rng.random(shape, dtype=np.float32))
    assert adapted.shape == shape and adapted.dtype == np.float32
    assert np.all((adapted >= 0) & (adapted <= 1))


@pytest.mark.parametrize("bins", [0, 3, 48, 512])
def test_bins_must_be_a_power_of_two_a_byte_holds(bins):
    with pytest.raises(ValueError, match="power of two"):
        adapt_probability(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.float32), bins=bins)


@pytest.mark.parametrize("rgb", [np.zeros((4, 4, 3), np.float32), np.zeros((4, 5, 3), np.uint8), np.zeros((4, 4), np.uint8)])
def test_a_photo_that_is_not_uint8_rgb_of_the_probabilitys_size_is_refused(rgb):
    with pytest.raises(ValueError, match="uint8 photo"):
        adapt_probability(rgb, np.zeros((4, 4), np.float32))


def test_a_grayscale_photo_gives_a_finite_probability_close_to_the_models():
    gray = np.repeat(np.asarray(load_image(PHOTO).convert("L"))[..., None], 3, axis=2)
    probability = Segmenter("skinseg-lite-int8", adapt=False).probability(gray)
    adapted = adapt_probability(gray, probability)
    assert np.all(np.isfinite(adapted)) and np.mean((adapted > 0.5) == (probability > 0.5)) > 0.9


def test_adaptation_raises_the_shipped_models_validation_score():
    # Measured on the real model, data and runtime: Pratheepan's photos, where colour varies most.
    kwargs = dict(data_dir=PRATHEEPAN, split="val")
    plain = evaluate("skinseg-lite-int8", adapt=False, **kwargs)
    adapted = evaluate("skinseg-lite-int8", adapt=True, **kwargs)
    assert adapted["settings"]["adapt"] is True and plain["settings"]["adapt"] is False
    assert adapted["per_image_mean"]["f1"] > plain["per_image_mean"]["f1"] + 0.005
