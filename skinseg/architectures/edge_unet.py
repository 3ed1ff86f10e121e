"""``edge-unet``: a small U-Net for int8 and the Coral Edge TPU.

Built only from ops the Edge TPU maps (CONV_2D, DEPTHWISE_CONV_2D, ADD, CONCATENATION,
TRANSPOSE_CONV, LOGISTIC) with static shapes: depthwise-separable blocks with ReLU6 (its bounded
range quantizes well), stride-2 convolutions to go down, 2x2 stride-2 transposed convolutions
with static output shapes to come back up (Keras' UpSampling2D exports as TILE/RESHAPE, which
the Edge TPU does not map), and skip connections at 1/2, 1/4, 1/8 and 1/16 resolution, where the
detail for thin skin regions lives. The last transposed convolution produces the full-resolution
logits directly, so no convolution runs at the input resolution.
"""

from __future__ import annotations

from ..errors import SkinsegError, require
from ..hookspecs import hookimpl
from . import batch_norm, check_build_args, conv_bn_relu

# (channels, blocks) per encoder stage at strides 2, 4, 8, 16, 32 before the width multiplier.
ENCODER = ((16, 1), (24, 2), (40, 2), (80, 3), (128, 2))  # at width 1.0
DECODER = (64, 32, 24, 16)


def _channels(c: int, width: float) -> int:
    return max(8, int(round(c * width / 8)) * 8)  # multiples of 8 map well to SIMD and the TPU


def _separable(layers, x, filters, strides=1, name=""):
    """Depthwise 3x3 then pointwise 1x1, with a residual add when the shape allows."""
    inputs = x
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = batch_norm(f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = batch_norm(f"{name}_pw_bn")(x)
    if strides == 1 and inputs.shape[-1] == filters:
        return layers.Add(name=f"{name}_add")([inputs, x])
    return layers.ReLU(6.0, name=f"{name}_pw_relu")(x)


def build_edge_unet(img_size: int = 256, width: float = 1.0, upsample: str = "transpose", output_stride: int = 2,
                    context: bool = False, **options):
    """A ~0.3 M-parameter U-Net; ``width`` scales every stage, ``upsample`` and ``output_stride``
    shape the decoder (see :func:`decode`), ``context`` adds :func:`global_context` at the bottleneck."""
    check_build_args("edge-unet", img_size, options, downsamplings=len(ENCODER))
    check_context(context)
    keras = require("keras", "train")
    layers = keras.layers

    inputs = keras.Input((img_size, img_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255.0, name="normalise")(inputs)
    skips = []
    for stage, (channels, blocks) in enumerate(ENCODER):
        filters = _channels(channels, width)
        if stage == 0:
            x = conv_bn_relu(x, filters, strides=2, name="stem", relu_max=6.0)
        else:
            x = _separable(layers, x, filters, strides=2, name=f"enc{stage}_0")
        for b in range(1, blocks):
            x = _separable(layers, x, filters, name=f"enc{stage}_{b}")
        skips.append(x)
    skips.pop()  # the deepest stage is the bottleneck, not a skip
    if context:
        x = global_context(layers, x)
    outputs = decode(layers, x, skips, DECODER, width, upsample, output_stride)
    return keras.Model(inputs, outputs, name=f"edge_unet_w{width:g}")


UPSAMPLING = ("transpose", "resize")


def check_context(context) -> None:
    """``--arch-option context=`` takes JSON true or false: a word such as "no" would read as true."""
    if not isinstance(context, bool):
        raise SkinsegError(f"context takes true or false, got {context!r}")


def global_context(layers, x, name="context"):
    """Add what the whole photo looks like to every position of the bottleneck.

    A bottleneck position sees about a quarter of a 256x256 input; whether a beige patch is skin
    or a wall can hang on the light and colours of the whole scene. The branch averages the
    bottleneck over the image (AVERAGE_POOL_2D), maps it through two 1x1 convolutions and spreads
    it back with a resize from 1x1 (RESIZE_BILINEAR copies the value: no broadcasting ADD, which
    the Edge TPU table does not promise). Its last convolution starts at zero, so the branch adds
    nothing until training finds a use for it, and a trained model without it can start a run
    with it (``skinseg train --init``).
    """
    height, width, channels = x.shape[1:]
    g = layers.AveragePooling2D((height, width), name=f"{name}_pool")(x)
    g = layers.Conv2D(max(8, channels // 2), 1, name=f"{name}_reduce")(g)
    g = layers.ReLU(6.0, name=f"{name}_relu")(g)
    g = layers.Conv2D(channels, 1, kernel_initializer="zeros", name=f"{name}_expand")(g)
    g = layers.UpSampling2D((height, width), interpolation="bilinear", name=f"{name}_spread")(g)
    return layers.Add(name=f"{name}_add")([x, g])


def decode(layers, x, skips, channels, width, upsample="transpose", output_stride=2):
    """Up from the bottleneck to the skin probability: per stage an upsampling step, the next skip
    (deepest first, popped from ``skips``) and a separable block to fuse them; then full-resolution
    logits and the sigmoid.

    ``output_stride``: the resolution (1/2, 1/4, ...) at which the decoder stops and the logits
    are upsampled to the input size in one step. Each doubling drops the finest stage and its
    skip; at 4 the decoder never runs at half resolution, where most of its time goes.

    ``upsample="transpose"``: 2x2 stride-2 transposed convolutions, up to the logits.
    ``upsample="resize"``: a 1x1 convolution at the lower resolution, then a bilinear resize,
    for the logits too. LiteRT's int8 TRANSPOSE_CONV is slow for its arithmetic: with this
    decoder whole int8 models take 0.75x (edge-unet) to 0.83x (mobilenet-unet) the time on a CPU
    (docs/benchmarks.md). The Edge TPU maps RESIZE_BILINEAR, but Coral's compiler may keep a
    large one on the CPU for precision, so "transpose" stays the default.
    """
    if upsample not in UPSAMPLING:
        raise SkinsegError(f"unknown upsample {upsample!r}; available: {', '.join(UPSAMPLING)}")
    strides = [2**k for k in range(1, len(skips) + 2)]
    if output_stride not in strides:
        raise SkinsegError(f"unknown output_stride {output_stride!r}; available: {', '.join(map(str, strides))}")
    dropped = strides.index(output_stride)
    skips, channels = list(skips[dropped:]), channels[:len(channels) - dropped]
    for i, c in enumerate(channels):
        filters = _channels(c, width)
        if upsample == "transpose":
            x = layers.Conv2DTranspose(filters, 2, strides=2, use_bias=False, name=f"dec{i}_up")(x)
        else:
            x = layers.Conv2D(filters, 1, use_bias=False, name=f"dec{i}_up")(x)
        x = batch_norm(f"dec{i}_up_bn")(x)
        x = layers.ReLU(6.0, name=f"dec{i}_up_relu")(x)
        if upsample == "resize":
            x = _resized(layers, x, f"dec{i}_up_resize")
        x = layers.Concatenate(name=f"dec{i}_skip")([x, skips.pop()])
        x = _separable(layers, x, filters, name=f"dec{i}_fuse")
    if upsample == "transpose":
        x = layers.Conv2DTranspose(1, output_stride, strides=output_stride, name="logits")(x)
    else:
        x = _resized(layers, layers.Conv2D(1, 1, name="logits")(x), "logits_resize", output_stride)
    return layers.Activation("sigmoid", dtype="float32", name="skin")(x)


def _resized(layers, x, name, factor=2):
    """``factor`` times the height and width, bilinearly: RESIZE_BILINEAR, which the Edge TPU maps.

    Not nearest-neighbour: Keras' UpSampling2D converts it to TILE/RESHAPE, which the Edge TPU
    does not map, and a Resizing layer would leave every batch norm after it in training mode
    when the model is called without ``training`` (as the SavedModel export does).
    """
    return layers.UpSampling2D(factor, interpolation="bilinear", name=name)(x)


@hookimpl
def register_architectures(register):
    register("edge-unet", build_edge_unet, "small U-Net for int8 and the Edge TPU (~0.3 M parameters); "
             "--arch-option upsample=transpose (default) or resize (faster on CPUs), "
             "output_stride=2 (default), 4, 8, 16 or 32 (where the decoder stops), "
             "context=true (a global-context branch at the bottleneck)")
