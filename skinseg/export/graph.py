"""Walking a Keras functional model and matching its layers to tensors of its converted int8 graph."""

from __future__ import annotations

import re


def producer(tensor):
    """The layer that outputs a Keras symbolic tensor."""
    return tensor._keras_history[0]


def inputs_of(layer) -> list:
    return layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]


def consumers(model) -> dict[str, list]:
    """Layer name -> the layers that take its output."""
    found: dict[str, list] = {}
    for layer in model.layers:
        for tensor in inputs_of(layer):
            if hasattr(tensor, "_keras_history"):
                found.setdefault(producer(tensor).name, []).append(layer)
    return found


def fused_activation(model, layer, users: dict | None = None):
    """The layer whose output TFLite's tensor for ``layer`` holds: the ReLU that is its only
    consumer (the converter fuses it into the convolution), else ``layer`` itself."""
    import keras

    after = (users if users is not None else consumers(model)).get(layer.name, [])
    if len(after) == 1 and isinstance(after[0], keras.layers.ReLU):
        return after[0]
    return layer


def int8_tensors_by_layer(interpreter, layer_names) -> dict:
    """Keras layer name -> the 4-D quantized tensors whose (last fused) name carries it."""
    found = {}
    longest_first = sorted(layer_names, key=len, reverse=True)
    for tensor in interpreter.get_tensor_details():
        if len(tensor["shape"]) != 4 or not tensor["quantization"][0]:
            continue
        name = tensor["name"].split(";")[-1] + "/"
        for layer in longest_first:
            if re.search(rf"(^|/){re.escape(layer)}(_\d+)?/", name):
                found.setdefault(layer, []).append(tensor)
                break
    return found
