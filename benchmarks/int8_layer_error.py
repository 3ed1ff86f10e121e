"""Where in the network a model's int8 twin drifts from it: the relative error of every layer.

    SKINSEG_DATA=../shared/datasets python benchmarks/int8_layer_error.py \
        skinseg/shipped/skinseg-mobile.keras skinseg/shipped/skinseg-mobile-int8.tflite \
        --split val --out benchmarks/results/int8_layer_error_mobile.json

Runs the int8 file with every intermediate tensor kept, dequantizes each one and compares it with
the float model's output of the same layer on the same images: RMS(int8 - float) / RMS(float),
averaged over the images. TFLite fuses a ReLU into the layer before it, so a layer whose only
consumer is a ReLU is compared after that activation. When the file's metadata says the exporter
equalized ranges, the float model is equalized the same way (same calibration images) first, so
rescaled layers compare in the units the int8 graph holds. Pratheepan's test split is not used.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path, help="the float .keras model")
    parser.add_argument("int8", type=Path, help="its full-integer twin")
    parser.add_argument("--dataset", default="pratheepan")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--split", default="val")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import keras
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from skinseg.datasets import load_dataset
    from skinseg.export.equalize import equalize_ranges
    from skinseg.export.graph import consumers, fused_activation, int8_tensors_by_layer
    from skinseg.export.tflite import calibration_set
    from skinseg.images import read_image
    from skinseg.keras_io import load_keras_model
    from skinseg.runtime import preprocess
    from skinseg.runtime.tflite import dequantize, quantize
    from skinseg.tflite_file import read_metadata

    model = load_keras_model(args.model)
    size = model.input_shape[1:3]
    calibration = read_metadata(args.int8).get("calibration") or {}
    if calibration.get("equalized"):
        # The exporter rescaled channels before converting; compare each layer in those units.
        images, _ = calibration_set(args.model, size[0], calibration["samples"], calibration["dataset"],
                                    calibration["split"], args.data_dir if args.dataset == calibration["dataset"] else None)
        equalize_ranges(model, images)
    interpreter = Interpreter(model_path=str(args.int8), experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    image_input = interpreter.get_input_details()[0]
    tensors = int8_tensors_by_layer(interpreter, [layer.name for layer in model.layers])
    layers = [layer for layer in model.layers if layer.name in tensors]
    users = consumers(model)
    compared = [fused_activation(model, layer, users) for layer in layers]
    probe = keras.Model(model.input, [layer.output for layer in compared])

    samples = load_dataset(args.dataset, args.data_dir).split(args.split)
    errors = {layer.name: [] for layer in layers}
    for sample in samples:
        x = preprocess(read_image(sample.image), (size[1], size[0])).astype(np.float32)
        interpreter.set_tensor(image_input["index"], quantize(x, image_input))
        interpreter.invoke()
        for layer, reference in zip(layers, probe(x)):
            reference = np.asarray(reference)
            for tensor in tensors[layer.name]:
                if tuple(tensor["shape"]) == reference.shape:
                    value = dequantize(interpreter.get_tensor(tensor["index"]), tensor)
                    rms = float(np.sqrt(np.mean(reference**2)))
                    errors[layer.name].append(float(np.sqrt(np.mean((value - reference) ** 2))) / max(rms, 1e-9))
                    break
    rows = [{"layer": layer.name, "compared_after": after.name, "relative_rms_error": float(np.mean(errors[layer.name]))}
            for layer, after in zip(layers, compared) if errors[layer.name]]
    for row in rows:
        print(f"{row['layer']:28s} {row['relative_rms_error']:.4f}")
    result = {"model": str(args.model), "int8": str(args.int8), "dataset": args.dataset, "split": args.split,
              "images": len(samples), "layers": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
