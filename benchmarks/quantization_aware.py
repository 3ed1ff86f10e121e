"""Experiment: fine-tune a float model with its int8 rounding simulated (fake quantization).

    python benchmarks/quantization_aware.py skinseg/shipped/skinseg-mobile.keras runs/mobilenet-unet \
        runs/mobile-qat/model --epochs 2 --lr 1e-4 [--weights]
    skinseg export -m runs/mobile-qat/model_e1.keras --format tflite --quantize int8
    skinseg verify --reference runs/mobile-qat/model_e1.keras \
        --candidate runs/mobile-qat/model_e1_int8.tflite --split val

Every tensor that the int8 TFLite graph quantizes (the output of each fused conv/batch-norm/ReLU
chain, each add and concatenation, the logits) is rounded to 256 levels over the range the
converter calibrates (min/max over the 47 Pratheepan training images), with a straight-through
gradient; batch norm is frozen, as TFLite folds it. With --weights, convolution kernels are also
rounded per output channel to int8 as the converter does (per-channel symmetric rounding gives
the same levels before and after batch norm is folded in, so the unfolded kernel can be rounded).
The weights are shared with the plain model, which is saved after each epoch and exported as
usual. Training uses the data and settings recorded in the given run folder's config.json.
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


def _kernel_axes(layer) -> tuple[int, ...] | None:
    """The kernel axes one int8 scale covers (all but the output channel's), or None for layers
    without a convolution kernel."""
    import keras

    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return (0, 1)  # (kh, kw, channels, multiplier)
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return (0, 1, 3)  # (kh, kw, out, in)
    if isinstance(layer, keras.layers.Conv2D):
        return (0, 1, 2)  # (kh, kw, in, out)
    return None


def _rounded_kernel(layer):
    """The kernel rounded to int8 per output channel, with a straight-through gradient."""
    from keras import ops

    kernel = layer.kernel
    scale = ops.maximum(ops.max(ops.abs(kernel), axis=_kernel_axes(layer), keepdims=True) / 127.0, 1e-12)
    return kernel + ops.stop_gradient(ops.round(kernel / scale) * scale - kernel)


def _convolve(layer, x, kernel):
    """``layer``'s own computation with another kernel."""
    import keras
    from keras import ops

    if isinstance(layer, keras.layers.DepthwiseConv2D):
        y = ops.depthwise_conv(x, kernel, strides=layer.strides, padding=layer.padding,
                               dilation_rate=layer.dilation_rate)
    elif isinstance(layer, keras.layers.Conv2DTranspose):
        y = ops.conv_transpose(x, kernel, strides=list(layer.strides), padding=layer.padding,
                               output_padding=layer.output_padding, dilation_rate=layer.dilation_rate)
    else:
        y = layer.convolution_op(x, kernel)
    if layer.use_bias:
        y = y + layer.bias
    return layer.activation(y) if layer.activation is not None else y


def fake_quantized(model, ranges: dict[str, tuple[float, float]], weights: bool = False):
    """A model sharing ``model``'s layers, with ``ranges``' outputs (and, with ``weights``, the
    convolution kernels) rounded to int8 levels."""
    import keras
    from keras import ops

    class FakeQuant(keras.layers.Layer):
        def __init__(self, inner, output_range, round_kernel):
            super().__init__(name=f"{inner.name}_fq")
            self.inner, self.output_range, self.round_kernel = inner, output_range, round_kernel

        def call(self, inputs, training=None, mask=None):
            if self.round_kernel:
                y = _convolve(self.inner, inputs, _rounded_kernel(self.inner))
            else:
                y = self.inner(inputs, training=training)
            if self.output_range is None:
                return y
            low, high = self.output_range
            y = ops.clip(y, low, high)
            step = (high - low) / 255.0
            rounded = ops.round((y - low) / step) * step + low
            return y + ops.stop_gradient(rounded - y)  # straight-through gradient

    def clone(layer):
        round_kernel = weights and _kernel_axes(layer) is not None
        if layer.name in ranges or round_kernel:
            return FakeQuant(layer, ranges.get(layer.name), round_kernel)
        return layer

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # inference-mode batch norm, which TFLite folds into the conv
    return keras.models.clone_model(model, clone_function=clone)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path, help="the float .keras model to fine-tune")
    parser.add_argument("run", type=Path, help="a run folder whose config.json names the training data")
    parser.add_argument("out", type=Path, help="prefix of the saved models: OUT_e1.keras, ...")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--weights", action="store_true", help="round the convolution kernels too")
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
    qat = fake_quantized(model, calibrated_ranges(model, quantized_layers(model), images), args.weights)

    train_samples, val_samples = _train_and_val_samples(config)
    train_arrays = load_arrays(train_samples, config.img_size)
    val_ds = make_dataset(*load_arrays(val_samples, config.img_size), config.batch_size)
    _compile(qat, config, -(-len(train_samples) // config.batch_size))
    print("simulated int8 before:", qat.evaluate(val_ds, verbose=0, return_dict=True), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for epoch in range(args.epochs):
        train_ds = make_dataset(*train_arrays, config.batch_size, augment=True, shuffle=True, seed=config.seed,
                                min_scale=config.min_scale, mosaic=config.mosaic, mosaic_grid=config.mosaic_grid,
                                epochs=(epoch, epoch + 1))
        qat.fit(train_ds, validation_data=val_ds, epochs=epoch + 1, initial_epoch=epoch, verbose=2)
        save_keras_model(model, args.out.with_name(f"{args.out.name}_e{epoch + 1}.keras"))


if __name__ == "__main__":
    main()
