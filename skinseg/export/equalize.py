"""Range equalization before int8 conversion: give narrow ReLU channels more of the int8 levels.

int8 gives each activation tensor one scale, set by its widest channel. After a ReLU6 in a
pretrained MobileNetV2, a channel that never passes 0.3 shares the 0..6 grid of 256 levels with
channels that reach 6, and gets about a dozen of them. Multiplying such a channel by ``s`` (its
batch norm's gamma and beta) and dividing the next layer's weights for it by ``s`` leaves the
float function unchanged: ReLU is positively homogeneous, and ``s`` is chosen so the scaled
channel stays below the ReLU6 cap on the calibration images. The int8 graph then spends more
levels on that channel (cross-layer equalization, Nagel et al., ICCV 2019, here driven by ranges
measured on the calibration set rather than by the weights alone).

A depthwise next layer quantizes its weights per channel, so dividing one channel's kernel costs
nothing and the channel is scaled up to the tensor's widest one. A regular convolution quantizes
per *output* channel: shrinking one input's weights coarsens them relative to the rest, so the
scale there is the square root of the range ratio, which balances the two rounding errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .graph import consumers, producer

MAX_SCALE = 16.0  # a dead channel (range ~0) is not worth shrinking its weights 1000x
BATCH = 8


@dataclass(frozen=True)
class Pair:
    """``norm`` -> ``relu`` -> (zero padding) -> ``consumer``: the channels between can be rescaled."""

    norm: object
    relu: object
    consumer: object

    @property
    def depthwise(self) -> bool:
        import keras

        return isinstance(self.consumer, keras.layers.DepthwiseConv2D)


def equalizable_pairs(model) -> list[Pair]:
    """Every batch norm -> ReLU whose output feeds exactly one convolution (through padding only)."""
    import keras

    users = consumers(model)
    pairs = []
    for relu in model.layers:
        if not isinstance(relu, keras.layers.ReLU) or relu.negative_slope or relu.threshold:
            continue
        norm = producer(relu.input)
        if (not isinstance(norm, keras.layers.BatchNormalization) or not (norm.scale and norm.center)
                or len(users.get(norm.name, [])) != 1):
            continue
        after = users.get(relu.name, [])
        while len(after) == 1 and isinstance(after[0], keras.layers.ZeroPadding2D):
            after = users.get(after[0].name, [])
        # Exact types: Conv2DTranspose subclasses Conv2D but lays its kernel out differently.
        if len(after) != 1 or type(after[0]) not in (keras.layers.Conv2D, keras.layers.DepthwiseConv2D):
            continue
        channels_last = norm.axis in (-1, len(norm.input.shape) - 1)
        if channels_last and getattr(after[0], "groups", 1) == 1:
            pairs.append(Pair(norm, relu, after[0]))
    return pairs


def channel_maxima(model, layers, images) -> list[np.ndarray]:
    """The largest value of each channel of each layer's output over ``images`` (NHWC batches of 1)."""
    import keras

    probe = keras.Model(model.input, [layer.output for layer in layers])
    maxima = None
    for start in range(0, len(images), BATCH):
        outputs = probe(np.concatenate(images[start:start + BATCH]), training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        batch = [np.asarray(out).max(axis=(0, 1, 2)) for out in outputs]
        maxima = batch if maxima is None else [np.maximum(a, b) for a, b in zip(maxima, batch)]
    return maxima or []


def scales(ranges: np.ndarray, depthwise: bool, cap: float | None) -> np.ndarray:
    """Per-channel factors >= 1 that bring each channel's range towards the widest one's."""
    ranges = np.maximum(ranges.astype(np.float64), 1e-6)
    ratio = ranges.max() / ranges
    factor = np.clip(ratio if depthwise else np.sqrt(ratio), 1.0, MAX_SCALE)
    if cap is not None:  # the scaled channel must stay below the ReLU's cap, or the function changes
        factor = np.minimum(factor, np.maximum(1.0, cap / ranges))
    return factor.astype(np.float32)


def equalize_ranges(model, images) -> dict:
    """Rescale ``model``'s weights in place so int8 represents its narrow channels better; returns
    a summary. The float outputs on ``images`` are unchanged (up to float rounding)."""
    pairs = equalizable_pairs(model)
    if not pairs or not images:
        return {"pairs": 0, "channels_scaled": 0}
    scaled = []
    for pair, ranges in zip(pairs, channel_maxima(model, [p.relu for p in pairs], images)):
        cap = float(pair.relu.max_value) if pair.relu.max_value is not None else None
        factor = scales(ranges, pair.depthwise, cap)
        pair.norm.gamma.assign(np.asarray(pair.norm.gamma) * factor)
        pair.norm.beta.assign(np.asarray(pair.norm.beta) * factor)
        # Conv2D kernels are (h, w, in, out) and DepthwiseConv2D's (h, w, in, multiplier): the
        # rescaled channel is axis 2 in both.
        pair.consumer.kernel.assign(np.asarray(pair.consumer.kernel) / factor[None, None, :, None])
        scaled.append(factor)
    factors = np.concatenate(scaled)
    return {"pairs": len(pairs), "channels_scaled": int(np.sum(factors > 1.0)), "channels": int(factors.size),
            "median_scale": round(float(np.median(factors)), 3), "images": len(images)}
