"""Experiment: fine-tune a float model with its int8 activations simulated (fake quantization).

    python benchmarks/qat_activations.py skinseg/shipped/skinseg-mobile.keras runs/mobilenet-unet \
        runs/mobile-qat/model --epochs 2 --lr 1e-4
    skinseg export -m runs/mobile-qat/model_e1.keras --format tflite --quantize int8
    skinseg verify --reference runs/mobile-qat/model_e1.keras \
        --candidate runs/mobile-qat/model_e1_int8.tflite --split val

Every tensor that the int8 TFLite graph quantizes (the output of each fused conv/batch-norm/ReLU
chain, each add and concatenation, the logits) is rounded to 256 levels over the range the
converter calibrates (min/max over the 47 Pratheepan training images), with a straight-through
gradient; batch norm is frozen, as TFLite folds it. The weights are shared with the plain model,
which is saved after each epoch and exported as usual. Weights are not simulated. Training uses the
data and settings recorded in the given run folder's config.json.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np


def quantized_layers(model) -> list[str]:
    """Layers whose output is a tensor of its own in the int8 graph (not folded into the next op)."""
    import keras

    folded_into = (keras.layers.BatchNormalization, keras.layers.ReLU)
    names = []
    for layer in model.layers[:-1]:  # the last layer is the sigmoid, with a fixed output scale
        if isinstance(layer, (keras.layers.InputLayer, keras.layers.ZeroPadding2D)):
            continue  # the input is exact; padding keeps its input's scale
        after = [node.operation for node in layer._outbound_nodes]
        if after and all(isinstance(op, folded_into) for op in after) and not isinstance(layer, keras.layers.ReLU):
            continue
        names.append(layer.name)
    return names


def calibrated_ranges(model, names: list[str], images: list) -> dict[str, tuple[float, float]]:
    """Per-tensor min/max including zero, as the converter calibrates them."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    low, high = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    for image in images:
        for name, value in zip(names, probe([image], training=False)):
            value = np.asarray(value)
            low[name], high[name] = min(low[name], float(value.min())), max(high[name], float(value.max()))
    return {n: (low[n], high[n]) for n in names}


def fake_quantized(model, ranges: dict[str, tuple[float, float]]):
    """A model sharing ``model``'s layers, with ``ranges``' outputs rounded to int8 levels."""
    import keras
    from keras import ops

    class FakeQuant(keras.layers.Layer):
        def __init__(self, inner, low, high):
            super().__init__(name=f"{inner.name}_fq")
            self.inner, self.low, self.high = inner, low, high

        def call(self, inputs, training=None, mask=None):
            y = ops.clip(self.inner(inputs, training=training), self.low, self.high)
            step = (self.high - self.low) / 255.0
            rounded = ops.round((y - self.low) / step) * step + self.low
            return y + ops.stop_gradient(rounded - y)  # straight-through gradient

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # inference-mode batch norm, which TFLite folds into the conv
    return keras.models.clone_model(
        model, clone_function=lambda layer: FakeQuant(layer, *ranges[layer.name]) if layer.name in ranges else layer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path, help="the float .keras model to fine-tune")
    parser.add_argument("run", type=Path, help="a run folder whose config.json names the training data")
    parser.add_argument("out", type=Path, help="prefix of the saved models: OUT_e1.keras, ...")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    args = parser.parse_args()

    from skinseg.export.tflite import calibration_set
    from skinseg.keras_io import load_keras_model, save_keras_model
    from skinseg.pipeline import load_arrays, make_dataset
    from skinseg.training import TrainConfig, _compile, _train_and_val_samples

    model = load_keras_model(args.model)
    config = TrainConfig(**json.loads((args.run / "config.json").read_text())["config"])
    config = replace(config, epochs=args.epochs, learning_rate=args.lr, warmup_epochs=0)
    name, _, data_dir = config.datasets[0].partition("=")
    images, _ = calibration_set(args.model, model.input_shape[1], dataset=name, data_dir=data_dir or None)
    qat = fake_quantized(model, calibrated_ranges(model, quantized_layers(model), images))

    train_samples, val_samples = _train_and_val_samples(config)
    train_ds = make_dataset(*load_arrays(train_samples, config.img_size), config.batch_size, augment=True,
                            shuffle=True, seed=config.seed, min_scale=config.min_scale)
    val_ds = make_dataset(*load_arrays(val_samples, config.img_size), config.batch_size)
    _compile(qat, config, -(-len(train_samples) // config.batch_size))
    print("simulated int8 before:", qat.evaluate(val_ds, verbose=0, return_dict=True), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for epoch in range(args.epochs):
        qat.fit(train_ds, validation_data=val_ds, epochs=epoch + 1, initial_epoch=epoch, verbose=2)
        save_keras_model(model, args.out.with_name(f"{args.out.name}_e{epoch + 1}.keras"))


if __name__ == "__main__":
    main()
