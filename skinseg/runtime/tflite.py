"""Running .tflite files through any TFLite interpreter (LiteRT, tflite-runtime, TensorFlow).

The three interpreters share one API; this module adapts it to :class:`LoadedModel`, including
(de)quantization of int8/uint8 inputs and outputs from the tensors' own parameters.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np

from ..errors import SkinsegError
from ..tflite_file import read_metadata
from . import LoadedModel


def quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    """Float values -> a tensor's dtype through its scale and zero point (float tensors pass)."""
    dtype = detail["dtype"]
    if dtype in (np.float32, np.float16):
        return x.astype(dtype)
    scale, zero_point = detail["quantization"]
    if x.dtype == dtype and scale == 1.0 and zero_point == 0:
        return x  # uint8 pixels into a uint8 input of scale 1: already the tensor's values
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(dtype)


def dequantize(y: np.ndarray, detail: dict) -> np.ndarray:
    """A tensor's int8/uint8 values -> float32 through its scale and zero point."""
    if detail["dtype"] in (np.float32, np.float16):
        return y.astype(np.float32)
    scale, zero_point = detail["quantization"]
    return (y.astype(np.float32) - zero_point) * scale


def tensorflow_interpreter(**kwargs):
    """TensorFlow's own ``tf.lite.Interpreter``, without its warning that it is moving to LiteRT."""
    import warnings

    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tf.lite.Interpreter(**kwargs)


def load_with(interpreter_class, path: Path, runtime: str, num_threads: int | None = None,
              delegates: list | None = None) -> LoadedModel:
    """Open ``path`` with an Interpreter class and wrap it as a LoadedModel.

    A TFLite interpreter holds its tensors between calls, so one shared by threads raises or, worse,
    returns another thread's mask. Each thread gets its own interpreter, made on its first call:
    on 2 cores, 4 threads on one Segmenter ran 600 photos/s this way, as fast as a lock around one
    interpreter, and single-threaded interpreters in 2 threads reached 750. A delegate (the Edge
    TPU, one device) is shared behind a lock instead.
    """
    metadata = read_metadata(path) or {}
    kwargs = {"model_path": str(path), "num_threads": num_threads}
    if delegates:
        kwargs["experimental_delegates"] = delegates

    def open_interpreter():
        try:
            interpreter = interpreter_class(**kwargs)
            interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SkinsegError(f"{path}: {runtime} cannot load this model ({first}); export it again or try "
                               "another --runtime") from None
        return interpreter

    first = open_interpreter()  # a file that does not load fails here, not on the first photo
    inp = first.get_input_details()[0]
    out = first.get_output_details()[0]
    _, height, width, _ = inp["shape"]
    local = threading.local()
    local.interpreter = first
    shared_lock = threading.Lock() if delegates else None

    def interpreter_here():
        if shared_lock is not None:
            return first
        interpreter = getattr(local, "interpreter", None)
        if interpreter is None:
            interpreter = local.interpreter = open_interpreter()
        return interpreter

    def invoke(interpreter, image: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(inp["index"], quantize(image[None], inp))
        interpreter.invoke()
        return dequantize(interpreter.get_tensor(out["index"]), out)[0, ..., 0]

    def run(batch: np.ndarray) -> np.ndarray:
        interpreter = interpreter_here()
        with shared_lock or contextlib.nullcontext():
            return np.stack([invoke(interpreter, image) for image in batch])  # exported graphs have batch 1

    return LoadedModel(path=path, runtime=runtime, input_size=(int(width), int(height)), metadata=metadata, run=run)
