"""Bias correction after int8 conversion: each convolution's own mean int8 error is measured and removed."""

from pathlib import Path

import numpy as np
import pytest

import skinseg
from skinseg.export.bias_correction import _interpreter, _layers, _operators, correct_biases, measure_shifts
from skinseg.export.equalize import equalize_ranges
from skinseg.export.tflite import convert
from skinseg.keras_io import load_keras_model
from skinseg.tflite_file import operators

from conftest import PRATHEEPAN
from test_equalize import _images

SHIPPED = Path(skinseg.__file__).parent / "shipped"


def test_operators_carry_their_tensor_indices():
    ops = operators(SHIPPED / "skinseg-tiny-int8.tflite")
    assert ops[0]["op"] == "QUANTIZE" and len(ops[0]["inputs"]) == 1 and len(ops[0]["outputs"]) == 1
    conv = next(op for op in ops if op["op"] == "CONV_2D")
    assert conv["inputs"][0] == ops[0]["outputs"][0]  # edge-unet's stem reads the quantized image
    produced = [t for op in ops for t in op["outputs"]]
    assert len(produced) == len(set(produced))


@pytest.mark.slow  # one conversion per shipped model
@pytest.mark.parametrize("name,io_type,convolutions,float_fed", [("skinseg-tiny", "uint8", 31, "stem_conv"),
                                                                 ("skinseg-tiny", "int8", 31, "stem_conv"),
                                                                 ("skinseg-mobile", "uint8", 36, "stem"),
                                                                 ("skinseg-mobile-384", "uint8", 36, None),
                                                                 ("skinseg-lite", "uint8", 39, "stem")])
def test_every_convolution_with_batch_norm_is_matched_to_its_int8_tensors(name, io_type, convolutions, float_fed):
    model = load_keras_model(SHIPPED / f"{name}.keras")
    images = _images("train", 2, model.input_shape[1])
    data = convert(model, SHIPPED / f"{name}.keras", "int8", io_type, calibration=images)
    layers = _layers(model, _interpreter(data), _operators(data))
    assert len(layers) == convolutions
    # Only a convolution reading the image takes the float model's input instead: the stem, into
    # which the converter folds the 1/255 scaling, whether the image arrives as uint8 (through a
    # QUANTIZE op) or as int8 (the graph's input itself), zero-padded first (mobilenet-unet) or not.
    # skinseg-mobile-384's older graph scales before padding, so a MUL op keeps the scaling apart.
    assert [layer.conv.name for layer in layers if layer.source is None] == ([float_fed] if float_fed else [])


@pytest.mark.slow  # three int8 conversions of skinseg-mobile
def test_correction_removes_the_mean_error_of_each_convolution_on_real_photos():
    import keras

    path = SHIPPED / "skinseg-mobile.keras"
    model = load_keras_model(path)
    images = _images("train", 12)
    equalize_ranges(model, images)
    reference = keras.models.clone_model(model)
    reference.set_weights(model.get_weights())
    before = convert(model, path, "int8", calibration=images)
    summary = correct_biases(model, before, images)
    assert summary["layers"] == 36 and summary["skipped"] == [] and summary["mean_abs_shift"] > 0
    after = convert(model, path, "int8", calibration=images)
    # Against the uncorrected float layers, the corrected file's own shifts are a fraction of the old.
    old = np.concatenate([np.abs(layer.shift) for layer in measure_shifts(reference, before, images)])
    new = np.concatenate([np.abs(layer.shift) for layer in measure_shifts(reference, after, images)])
    assert old.mean() == pytest.approx(summary["mean_abs_shift"], rel=0.01)
    assert new.mean() < old.mean() / 3


@pytest.mark.slow
def test_corrected_int8_mobile_384_agrees_with_its_float_model_better_on_val(tmp_path):
    """The reason it is on by default, on real photos the calibration never saw."""
    from skinseg.export import export_model
    from skinseg.verification import verify

    model = SHIPPED / "skinseg-mobile-384.keras"
    agreement = {}
    for corrected in (False, True):
        path = export_model(model, "tflite", tmp_path / f"{corrected}.tflite", quantize="int8",
                            bias_correction=corrected, calib_dataset="pratheepan",
                            calib_data_dir=str(PRATHEEPAN)).path
        agreement[corrected] = verify(model, path, split="val", data_dir=str(PRATHEEPAN))["pixel_agreement"]
    assert agreement[True] > agreement[False] + 0.001
