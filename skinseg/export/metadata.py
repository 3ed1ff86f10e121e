"""The metadata every artifact carries: how to feed the model and read its output.

It is one JSON document, embedded in .tflite files (the model's ``metadata`` list, name
``skinseg``; read back by :mod:`skinseg.tflite_file` without TensorFlow) and written as
``skinseg.json`` inside SavedModel folders. Runtimes configure themselves from it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .. import __version__
from ..files import sha256_file
from ..tflite_file import METADATA_NAME


OUTPUT_RESIZE = "bilinear back to the image size as 8-bit levels (probability x 255), then threshold"


def output_metadata(settings, quantization: dict | None = None) -> dict:
    """The ``output`` section of a file's metadata: how to read the tensor, and the inference settings
    (an :class:`~skinseg.runtime.InferenceSettings`) the runtime applies to it."""
    section = {"kind": "probability", "activation": "sigmoid", "resize": OUTPUT_RESIZE, **settings.as_metadata()}
    if quantization is not None:
        section["quantization"] = quantization
    return section


def run_config(model_path: Path) -> dict | None:
    """The training configuration of the run the model came from, if its config.json is beside it."""
    config = model_path.parent / "config.json"
    if config.is_file():
        try:
            return json.loads(config.read_text()).get("config")
        except ValueError:
            return None
    return None


def build_metadata(model_path: Path, model, fmt: str, quantize: str, calibration: dict | None = None,
                   threshold: float | None = None, adapt: bool | None = None) -> dict:
    """The metadata of an export of ``model_path``. Its inference settings are the source file's own
    (a shipped model's travel with every export of it), with ``threshold`` and ``adapt`` overriding."""
    from ..keras_io import keras_metadata
    from ..runtime import InferenceSettings

    _, height, width, _ = model.input_shape
    settings = InferenceSettings.of(keras_metadata(model_path)).override(threshold=threshold, adapt=adapt)
    return {
        "skinseg_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "format": fmt,
        "quantization": quantize,
        "input": {
            "size": [int(width), int(height)],
            "layout": "NHWC",
            "channels": "RGB",
            "range": [0, 255],
            "normalisation": "inside the model: pixels / 255",
            "resize": ("box-averaged by whole factors (OpenCV), then Pillow bilinear to size, aspect not kept; "
                       "EXIF rotation applied first (skinseg.images.resize_rgb)"),
        },
        "output": output_metadata(settings),
        "calibration": calibration,
        "source": {"model": model_path.name, "sha256": sha256_file(model_path), "parameters": int(model.count_params())},
        "training": run_config(model_path),
    }


def embed_in_tflite(tflite_bytes: bytes, metadata: dict) -> bytes:
    """Return the .tflite flatbuffer with ``metadata`` added as a named metadata buffer."""
    import numpy as np
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite_bytes))
    data = np.frombuffer(json.dumps(metadata, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    ours = [m for m in (model.metadata or []) if m.name in (METADATA_NAME, METADATA_NAME.encode())]
    if ours:  # rewrite the file's own metadata buffer, so stamping a file again does not grow it
        model.buffers[ours[0].buffer].data = data
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    buffer = schema.BufferT()
    buffer.data = data
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = [*(model.metadata or []), entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def dequantize_hybrid_transpose_conv(tflite_bytes: bytes) -> tuple[bytes, int]:
    """Store int8 weights of float TRANSPOSE_CONV ops as float32 again.

    Dynamic-range conversion gives TRANSPOSE_CONV int8 weights with a float input ("hybrid"),
    which tflite-runtime 2.14 refuses ("weights->type != input->type"). Its other ops keep their
    int8 weights. Returns the new bytes and how many weight tensors were restored.
    """
    import numpy as np
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite_bytes))
    transpose_conv = {i for i, code in enumerate(model.operatorCodes)
                      if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.TRANSPOSE_CONV}
    restored = 0
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            if op.opcodeIndex not in transpose_conv:
                continue
            weights = subgraph.tensors[op.inputs[1]]
            data_in = subgraph.tensors[op.inputs[2]]
            if weights.type != schema.TensorType.INT8 or data_in.type != schema.TensorType.FLOAT32:
                continue
            q = weights.quantization
            values = np.asarray(model.buffers[weights.buffer].data, np.uint8).view(np.int8).astype(np.float32)
            values = values.reshape(weights.shape)
            scale = np.asarray(q.scale, np.float32)
            zero = np.asarray(q.zeroPoint, np.float32)
            shape = [1] * values.ndim
            shape[q.quantizedDimension] = -1
            floats = (values - zero.reshape(shape)) * scale.reshape(shape)
            model.buffers[weights.buffer].data = np.frombuffer(floats.astype("<f4").tobytes(), np.uint8)
            weights.type = schema.TensorType.FLOAT32
            weights.quantization = None
            restored += 1
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)), restored
