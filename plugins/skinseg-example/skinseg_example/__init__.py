"""A minimal third-party skinseg plugin: one architecture, one export format, one runtime."""

import json
from pathlib import Path

from skinseg.export import ExportFormat, ExportResult
from skinseg.hookspecs import hookimpl
from skinseg.runtime import LoadedModel

SIDECAR = ".skinseg.json"


def build_tiny_fcn(img_size=64, width=1.0, **options):
    """Three convolutions and a sigmoid: 0..255 RGB in, skin probability out."""
    import keras

    filters = max(4, int(16 * width))
    inputs = keras.Input((img_size, img_size, 3), name="image")
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid", name="skin")(x)
    return keras.Model(inputs, outputs, name="tiny_fcn")


def export_weights(model_path, out, quantize="none", progress=False):
    """Weights only (.weights.h5) plus a sidecar naming the architecture that reads them."""
    from skinseg.export.metadata import run_config
    from skinseg.keras_io import load_keras_model

    model = load_keras_model(model_path)
    config = run_config(model_path) or {}
    model.save_weights(out)
    meta = {"arch": config.get("arch", "tiny-fcn"), "width": config.get("width", 1.0),
            "img_size": int(model.input_shape[1]), "output": {"threshold": 0.5}}
    Path(str(out) + SIDECAR).write_text(json.dumps(meta))
    return ExportResult(path=Path(out), format="weights", quantize=quantize, size_bytes=Path(out).stat().st_size,
                        metadata=meta)


def load_weights(path, num_threads=None):
    """Rebuild the architecture named in the sidecar and load the weights into it."""
    from skinseg.architectures import create_model

    meta = json.loads(Path(str(path) + SIDECAR).read_text())
    model = create_model(meta["arch"], img_size=meta["img_size"], width=meta["width"])
    model.load_weights(path)
    size = (meta["img_size"], meta["img_size"])
    return LoadedModel(path=Path(path), runtime="weights", input_size=size, metadata=meta,
                       run=lambda batch: model.predict_on_batch(batch)[..., 0])


@hookimpl
def register_architectures(register):
    register("tiny-fcn", build_tiny_fcn, "three convolutions (example plugin)")


@hookimpl
def register_exporters(register):
    register(ExportFormat("weights", ".weights.h5", frozenset(), ("none",), "weights (this plugin)",
                          export_weights, "Keras weights plus a JSON sidecar (example plugin)"))


@hookimpl
def register_runtimes(register):
    register("weights", load_weights, "Keras weights + sidecar (example plugin)", priority=5,
             accepts=lambda path: path.name.endswith(".weights.h5"))
