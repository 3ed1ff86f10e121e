"""Range equalization before int8: the float function stays, narrow channels widen, int8 agrees better."""

from pathlib import Path

import numpy as np
import pytest

import skinseg
from skinseg.export import export_model
from skinseg.export.equalize import channel_maxima, equalizable_pairs, equalize_ranges
from skinseg.keras_io import load_keras_model

from conftest import PRATHEEPAN

MOBILE = Path(skinseg.__file__).parent / "shipped" / "skinseg-mobile.keras"


def _images(split, count, size=256):
    from skinseg.datasets import load_dataset
    from skinseg.images import read_image
    from skinseg.runtime import preprocess

    samples = load_dataset("pratheepan", str(PRATHEEPAN)).split(split)[:count]
    return [preprocess(read_image(s.image), (size, size)).astype(np.float32) for s in samples]


def test_pairs_follow_padding_and_skip_shared_unnormalised_grouped_or_transposed_consumers():
    import keras

    layers = keras.layers
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 1, name="a")(inputs)
    x = layers.BatchNormalization(name="a_bn")(x)
    x = layers.ReLU(6.0, name="a_relu")(x)
    x = layers.ZeroPadding2D(1, name="pad")(x)
    x = layers.DepthwiseConv2D(3, strides=2, name="dw")(x)  # pair: through the padding
    shared = layers.ReLU(6.0, name="dw_relu")(layers.BatchNormalization(name="dw_bn")(x))
    left = layers.Conv2D(8, 1, name="left")(shared)  # two consumers: not a pair
    right = layers.Conv2D(8, 1, name="right")(shared)
    x = layers.ReLU(name="plain_relu")(layers.Add()([left, right]))  # no batch norm before it
    x = layers.Conv2D(8, 1, name="c")(x)
    x = layers.ReLU(6.0, name="c_relu")(layers.BatchNormalization(name="c_bn")(x))
    x = layers.Conv2D(8, 1, groups=2, name="grouped")(x)  # each group sees half the channels: skipped
    x = layers.ReLU(6.0, name="g_relu")(layers.BatchNormalization(name="g_bn")(x))
    x = layers.Conv2DTranspose(1, 2, strides=2, name="up")(x)  # its kernel axes differ: skipped
    model = keras.Model(inputs, x)

    assert [(p.norm.name, p.consumer.name, p.depthwise) for p in equalizable_pairs(model)] == [("a_bn", "dw", True)]


@pytest.mark.slow  # 63 photos through skinseg-mobile, twice
def test_equalized_mobile_model_keeps_its_float_outputs_and_widens_narrow_channels():
    model = load_keras_model(MOBILE)
    pairs = equalizable_pairs(model)
    assert len(pairs) == 23  # stem, 10 blocks' expand (9) and depthwise (10) ReLUs, 3 decoder ReLUs
    calibration = _images("train", 47)
    held_out = np.concatenate(_images("val", 4))
    before = np.asarray(model.predict(held_out, verbose=0))
    ranges_before = channel_maxima(model, [p.relu for p in pairs], calibration)

    summary = equalize_ranges(model, calibration)

    after = np.asarray(model.predict(held_out, verbose=0))
    # On images the calibration never saw, a value past its channel's calibrated range now meets
    # ReLU6's cap a little earlier: probabilities move by ~0.01 at most and almost no pixel flips.
    assert np.abs(after - before).max() < 0.03
    assert ((after > 0.5) == (before > 0.5)).mean() > 0.9999
    assert summary["pairs"] == 23 and summary["channels_scaled"] > summary["channels"] // 2
    ranges_after = channel_maxima(model, [p.relu for p in pairs], calibration)
    for pair, old, new in zip(pairs, ranges_before, ranges_after):
        assert new.max() == pytest.approx(old.max(), rel=1e-4)  # the tensor's int8 range is as before
        live = old > old.max() / 16  # channels within the scale cap
        if pair.depthwise:  # free to scale fully: every live channel now spans the whole range
            np.testing.assert_allclose(new[live], old.max(), rtol=1e-3)
        else:  # halfway (geometrically), sparing the convolution's weights
            np.testing.assert_allclose(new[live], np.sqrt(old[live] * old.max()), rtol=1e-3)


@pytest.mark.slow
def test_equalized_int8_mobile_agrees_with_its_float_model_better_on_val(tmp_path):
    """The reason it is on by default, measured on real photos the calibration never saw."""
    from skinseg.verification import verify

    agreement = {}
    for equalize in (False, True):
        path = export_model(MOBILE, "tflite", tmp_path / f"{equalize}.tflite", quantize="int8", equalize=equalize,
                            bias_correction=False, calib_dataset="pratheepan", calib_data_dir=str(PRATHEEPAN)).path
        agreement[equalize] = verify(MOBILE, path, split="val", data_dir=str(PRATHEEPAN))["pixel_agreement"]
    assert agreement[True] > agreement[False] + 0.0005
