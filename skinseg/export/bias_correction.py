"""Bias correction after int8 conversion: take out each convolution's mean int8 error.

Rounding a convolution's weights to int8 moves each output channel by a nearly constant amount
(the weights' rounding errors times the mean of their inputs), and the int8 graph hands that
shift on to every later layer. In skinseg-mobile it is about half of the first layers' int8
error. Bias correction (Nagel et al., ICCV 2019; here measured rather than derived from the
weights) runs the converted graph on the calibration images and feeds each convolution + batch
norm (+ ReLU) of the float model the int8 graph's own input to that convolution. The
per-channel mean of int8 minus float is then that layer's own shift, not one inherited from
upstream. Subtracting it from the batch norm's offset and converting again removes it. Under a
ReLU only pixels in its linear range count, since a clipped pixel shows no shift.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .graph import consumers, fused_activation, int8_tensors_by_layer, producer

CONVOLUTIONS = ("CONV_2D", "DEPTHWISE_CONV_2D")
# A matched layer's own int8 error is a few percent of its output. Far more means the int8 op is
# not this layer alone (the converter folded something into it), so its shift is not measured.
MAX_LOCAL_ERROR = 0.25


@dataclass
class _Layer:
    norm: object  # the batch norm whose offset absorbs the correction
    conv: object
    after: object  # the norm itself, or the ReLU the converter fused into the convolution
    output: dict  # the int8 tensor holding ``after``'s output
    source: dict | None  # the int8 tensor the convolution reads, or None: the float model's own input
    shift: np.ndarray = None
    count: np.ndarray = None
    error_sq: float = 0.0
    signal_sq: float = 0.0
    local_error: float = 0.0


def _interpreter(tflite_bytes: bytes):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # Without the XNNPACK delegate every intermediate tensor stays readable after invoke(); the
    # interpreter warns that keeping them is for debugging, which this is.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        interpreter = Interpreter(model_content=tflite_bytes, experimental_preserve_all_tensors=True,
                                  experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    return interpreter


def _operators(tflite_bytes: bytes) -> list[dict]:
    from ..tflite_file import operators

    with tempfile.TemporaryDirectory(prefix="skinseg-bias-") as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(tflite_bytes)
        return operators(path)


def _layers(model, interpreter, ops) -> list[_Layer]:
    """Each batch norm after a convolution whose output the int8 graph holds in one tensor."""
    import keras

    users = consumers(model)
    tensors = int8_tensors_by_layer(interpreter, [layer.name for layer in model.layers])
    details = {t["index"]: t for t in interpreter.get_tensor_details()}
    made_by = {out: op for op in ops for out in op["outputs"]}
    graph_inputs = {detail["index"] for detail in interpreter.get_input_details()}
    found = []
    for norm in model.layers:
        if not isinstance(norm, keras.layers.BatchNormalization) or not norm.center:
            continue
        conv = producer(norm.input)
        if type(conv) not in (keras.layers.Conv2D, keras.layers.DepthwiseConv2D) or len(users[conv.name]) != 1:
            continue
        after = fused_activation(model, norm, users)
        for tensor in tensors.get(norm.name, []):
            op = made_by.get(tensor["index"])
            if op is None or op["op"] not in CONVOLUTIONS or tuple(tensor["shape"][1:]) != tuple(after.output.shape[1:]):
                continue
            source = details[op["inputs"][0]]
            # The image reaches int8 losslessly (whole pixel values), but the scaling that follows
            # may be folded into the first convolution: give that one the float input.
            reads_image = _is_image(source["index"], made_by, graph_inputs)
            found.append(_Layer(norm, conv, after, tensor, None if reads_image else source))
            break
    return found


def _is_image(index: int, made_by: dict, graph_inputs: set) -> bool:
    """Whether a tensor holds the input pixels themselves: the graph input, or its QUANTIZE,
    zero-padded or not."""
    while index not in graph_inputs:
        op = made_by.get(index)
        if op is None or op["op"] not in ("QUANTIZE", "PAD"):
            return False
        if op["op"] == "QUANTIZE":
            return True
        index = op["inputs"][0]
    return True


def _measure(layer: _Layer, x, int8_output) -> None:
    y = layer.norm(layer.conv(x), training=False)
    if layer.after is not layer.norm:
        y = layer.after(y)
    y = np.asarray(y)
    error = int8_output - y
    if layer.after is not layer.norm:
        cap = np.inf if layer.after.max_value is None else float(layer.after.max_value)
        linear = (y > 0) & (y < cap)
    else:
        linear = np.ones_like(y, dtype=bool)
    shift, count = (error * linear).sum(axis=(0, 1, 2)), linear.sum(axis=(0, 1, 2))
    layer.shift = shift if layer.shift is None else layer.shift + shift
    layer.count = count if layer.count is None else layer.count + count
    layer.error_sq += float(np.sum(error**2))
    layer.signal_sq += float(np.sum(y**2))


def measure_shifts(model, tflite_bytes: bytes, images) -> list[_Layer]:
    """Each matched convolution's own per-channel mean int8 error (``shift``) and relative RMS
    error (``local_error``) in the int8 graph ``tflite_bytes``, against ``model``'s float layers."""
    import keras

    from ..runtime.tflite import dequantize, quantize

    interpreter = _interpreter(tflite_bytes)
    layers = _layers(model, interpreter, _operators(tflite_bytes))
    if not layers or not images:
        return []
    image_input = interpreter.get_input_details()[0]
    from_float = [layer for layer in layers if layer.source is None]
    probe = keras.Model(model.input, [layer.conv.input for layer in from_float]) if from_float else None
    for image in images:
        interpreter.set_tensor(image_input["index"], quantize(image, image_input))
        interpreter.invoke()
        float_inputs = probe(image, training=False) if probe else []
        float_inputs = dict(zip((id(layer) for layer in from_float),
                                float_inputs if isinstance(float_inputs, (list, tuple)) else [float_inputs]))
        for layer in layers:
            x = float_inputs[id(layer)] if layer.source is None else dequantize(
                interpreter.get_tensor(layer.source["index"]), layer.source)
            _measure(layer, x, dequantize(interpreter.get_tensor(layer.output["index"]), layer.output))
    for layer in layers:
        layer.shift = (layer.shift / np.maximum(layer.count, 1)).astype(np.float32)
        layer.local_error = float(np.sqrt(layer.error_sq / max(layer.signal_sq, 1e-12)))
    return layers


def correct_biases(model, tflite_bytes: bytes, images) -> dict:
    """Shift ``model``'s batch-norm offsets in place so that converting it again gives int8
    convolutions without their mean error; ``tflite_bytes`` is its int8 conversion and
    ``images`` the calibration set it was made with. Returns a summary."""
    corrected, skipped, shifts = 0, [], []
    for layer in measure_shifts(model, tflite_bytes, images):
        if layer.local_error > MAX_LOCAL_ERROR:
            skipped.append(layer.norm.name)
            continue
        layer.norm.beta.assign(np.asarray(layer.norm.beta) - layer.shift)
        shifts.append(np.abs(layer.shift))
        corrected += 1
    return {"layers": corrected, "skipped": skipped, "images": len(images),
            "mean_abs_shift": round(float(np.mean(np.concatenate(shifts))), 5) if shifts else 0.0}
