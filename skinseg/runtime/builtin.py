"""The built-in runtimes: LiteRT, tflite-runtime, TensorFlow's interpreter, Edge TPU and Keras."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import SkinsegError
from ..hookspecs import hookimpl
from . import LoadedModel
from .tflite import load_with, tensorflow_interpreter

EDGETPU_LIBRARY = "libedgetpu.so.1"


def _installed(module: str):
    def check() -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False
    return check


def tflite_runtime_usable() -> bool:
    """tflite-runtime's wheels are built against numpy 1; under numpy 2 they fail on import."""
    if not _installed("tflite_runtime")():
        return False
    try:
        from tflite_runtime.interpreter import Interpreter  # noqa: F401
    except Exception:
        return False
    return True


def load_litert(path: Path, num_threads=None) -> LoadedModel:
    from ai_edge_litert.interpreter import Interpreter

    return load_with(Interpreter, path, "litert", num_threads)


def load_tflite_runtime(path: Path, num_threads=None) -> LoadedModel:
    from tflite_runtime.interpreter import Interpreter

    return load_with(Interpreter, path, "tflite-runtime", num_threads)


def load_tensorflow(path: Path, num_threads=None) -> LoadedModel:
    return load_with(tensorflow_interpreter, path, "tensorflow", num_threads)


def _edgetpu_delegate():
    import ctypes

    try:  # probe the library first: a failed load_delegate leaves LiteRT printing errors at exit
        ctypes.CDLL(EDGETPU_LIBRARY)
    except OSError:
        raise SkinsegError(
            f"Edge TPU delegate {EDGETPU_LIBRARY} not found; install libedgetpu1-std from the Coral "
            "repository and plug in the device"
        ) from None
    for module in ("ai_edge_litert.interpreter", "tflite_runtime.interpreter"):
        try:
            interpreter = importlib.import_module(module)
            return interpreter.Interpreter, interpreter.load_delegate(EDGETPU_LIBRARY)
        except (ImportError, ValueError, OSError):
            continue
    raise SkinsegError(
        f"Edge TPU delegate {EDGETPU_LIBRARY} not found; install libedgetpu1-std from the Coral "
        "repository and plug in the device"
    )


def edgetpu_available() -> bool:
    try:
        _edgetpu_delegate()
    except SkinsegError:
        return False
    return True


def load_edgetpu(path: Path, num_threads=None) -> LoadedModel:
    interpreter_class, delegate = _edgetpu_delegate()
    return load_with(interpreter_class, path, "edgetpu", num_threads, delegates=[delegate])


def load_savedmodel(path: Path, num_threads=None) -> LoadedModel:
    import json

    import numpy as np
    import tensorflow as tf

    from ..export.savedmodel import METADATA_FILE

    try:
        serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    except Exception as exc:
        raise SkinsegError(f"{path}: cannot load SavedModel ({type(exc).__name__}); export it again") from None
    metadata_path = path / METADATA_FILE
    metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
    spec = next(iter(serve.structured_input_signature[1].values()))
    width, height = metadata.get("input", {}).get("size", [spec.shape[2], spec.shape[1]])

    def run(batch):
        outputs = serve(tf.constant(batch.astype(np.float32)))
        return np.asarray(next(iter(outputs.values())))[..., 0].astype("float32")

    return LoadedModel(path=path, runtime="savedmodel", input_size=(int(width), int(height)), metadata=metadata, run=run)


def _suffix(*suffixes):
    return lambda path: path.name.endswith(suffixes)


def _is_savedmodel(path: Path) -> bool:
    return path.is_dir() and (path / "saved_model.pb").exists()


def load_keras(path: Path, num_threads=None) -> LoadedModel:
    from ..keras_io import keras_metadata, load_keras_model

    model = load_keras_model(path)
    _, height, width, _ = model.input_shape
    metadata = {"source": {"format": "keras"}, **keras_metadata(path)}

    def run(batch):
        return model.predict_on_batch(batch.astype("float32"))[..., 0].astype("float32")

    return LoadedModel(path=path, runtime="keras", input_size=(int(width), int(height)), metadata=metadata, run=run)


@hookimpl
def register_runtimes(register):
    tflite = _suffix(".tflite")
    register("litert", load_litert, "Google ai-edge-litert interpreter", priority=30, accepts=tflite,
             available=_installed("ai_edge_litert"), install="pip install 'skinseg[edge]'")
    register("tflite-runtime", load_tflite_runtime, "tflite-runtime (Raspberry Pi, numpy < 2)",
             priority=20, accepts=tflite, available=tflite_runtime_usable,
             install="pip install tflite-runtime 'numpy<2'")
    register("tensorflow", load_tensorflow, "TensorFlow's own TFLite interpreter", priority=10,
             accepts=tflite, available=_installed("tensorflow"), install="pip install 'skinseg[train]'")
    register("edgetpu", load_edgetpu, "Coral Edge TPU delegate for *_edgetpu.tflite", priority=40,
             accepts=_suffix("_edgetpu.tflite"), available=edgetpu_available,
             install="install libedgetpu1-std and ai-edge-litert or tflite-runtime")
    register("keras", load_keras, "Keras 3 (.keras files; needs the train extra)", priority=10,
             accepts=_suffix(".keras"), available=_installed("keras"), install="pip install 'skinseg[train]'")
    register("savedmodel", load_savedmodel, "TensorFlow SavedModel folders", priority=10, accepts=_is_savedmodel,
             available=_installed("tensorflow"), install="pip install 'skinseg[train]'")
