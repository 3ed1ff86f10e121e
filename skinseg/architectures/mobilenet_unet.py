"""``mobilenet-unet``: MobileNetV2's first 10 blocks as the encoder, a small U-Net decoder.

The encoder is MobileNetV2 (width 1.0) cut after its first stride-16 stage (the int8 file stays
under 512 KB), so it can start from ImageNet weights
(``skinseg.pretrained``): features learned on a million photos generalise to new people and
scenes far better than anything 2,000 skin photos teach from scratch. Stride-2 layers pad one
pixel on every side explicitly, as the network was trained, instead of Keras' "same" (which pads
only bottom/right and would shift every feature by a pixel). The decoder is edge-unet's
(:func:`edge_unet.decode`): 2x2 stride-2 transposed convolutions with static shapes, or 1x1
convolutions and bilinear resizes (``upsample="resize"``), skip connections at 1/2, 1/4 and 1/8
(fewer with ``output_stride`` 4 or more), and logits upsampled to the input size. Every op maps
onto the Edge TPU; ReLU6 everywhere keeps activations in a range int8 represents well.
"""

from __future__ import annotations

from ..errors import SkinsegError, require
from ..hookspecs import hookimpl
from . import batch_norm, check_build_args
from .edge_unet import check_context, decode, global_context

STEM = 32
# MobileNetV2's inverted residual stages up to stride 16: (expansion, channels, blocks, stride).
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2))
SKIP_BLOCKS = (0, 2, 5)  # block outputs at 1/2, 1/4, 1/8 of the input
EXTRA_BLOCK = f"block{sum(n for _, _, n, _ in STAGES)}"  # ``extra_block``'s layers, after the base blocks
DECODER = (64, 32, 24)  # at width 1.0, from 1/16 up to 1/2
BN_EPSILON = 1e-5  # as the pretrained weights were trained


def blocks() -> list[tuple[int, int, int]]:
    """(expansion, channels, stride) of each inverted residual block, in order."""
    return [(t, c, s if i == 0 else 1) for t, c, n, s in STAGES for i in range(n)]


def check_extra_block(extra_block) -> None:
    if not isinstance(extra_block, bool):
        raise SkinsegError(f"extra_block takes true or false, got {extra_block!r}")


def _conv_bn(layers, x, filters, kernel, strides, name, relu=True, depthwise=False, padded=False, gamma="ones"):
    if strides == 2 and not padded:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
    padding = "valid" if strides == 2 or kernel == 1 else "same"
    if depthwise:
        x = layers.DepthwiseConv2D(kernel, strides=strides, padding=padding, use_bias=False, name=name)(x)
    else:
        x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=name)(x)
    x = batch_norm(f"{name}_bn", epsilon=BN_EPSILON, gamma_initializer=gamma)(x)
    return layers.ReLU(6.0, name=f"{name}_relu")(x) if relu else x


def _inverted_residual(layers, x, expansion, filters, strides, name, identity=False):
    """MobileNetV2's block; ``identity``: its projection's batch norm scale starts at zero, so the
    residual block starts as the identity."""
    inputs = x
    if expansion != 1:
        x = _conv_bn(layers, x, inputs.shape[-1] * expansion, 1, 1, f"{name}_expand")
    x = _conv_bn(layers, x, None, 3, strides, f"{name}_dw", depthwise=True)
    x = _conv_bn(layers, x, filters, 1, 1, f"{name}_project", relu=False, gamma="zeros" if identity else "ones")
    if strides == 1 and inputs.shape[-1] == filters:
        x = layers.Add(name=f"{name}_add")([inputs, x])
    return x


def build_mobilenet_unet(img_size: int = 256, width: float = 1.0, upsample: str = "transpose", output_stride: int = 2,
                         context: bool = False, extra_block: bool = False, **options):
    """MobileNetV2 encoder (fixed width, for its pretrained weights); ``width`` scales the decoder,
    ``upsample`` and ``output_stride`` shape it (see :func:`edge_unet.decode`), ``context`` adds
    :func:`edge_unet.global_context` at the bottleneck.

    ``extra_block`` adds one more block at the bottleneck (64 -> 384 -> 64 channels at stride 16),
    more depth where the network decides what a region is, for about 65 KB of int8 file: MobileNetV2's
    11th block, which widens to 96 channels, would not fit the 512 KB file with the decoder it then
    needs. Its expansion and depthwise layers take that block's ImageNet weights
    (``skinseg.pretrained``); it starts as the identity, so a trained model without it starts a
    run with it exactly where it was (``benchmarks/extra_block_init.py`` writes that start)."""
    check_build_args("mobilenet-unet", img_size, options, downsamplings=4)
    check_context(context)
    check_extra_block(extra_block)
    keras = require("keras", "train")
    layers = keras.layers

    inputs = keras.Input((img_size, img_size, 3), name="image")
    # Pad, then scale (the two commute on pixels): with nothing between the scaling and the stem,
    # the converter folds the 1/255 into the stem's weights instead of leaving a MUL op that
    # touches every input pixel.
    x = layers.ZeroPadding2D(1, name="stem_pad")(inputs)
    x = layers.Rescaling(1.0 / 255.0, name="normalise")(x)
    x = _conv_bn(layers, x, STEM, 3, 2, "stem", padded=True)
    skips = []
    for i, (expansion, filters, strides) in enumerate(blocks()):
        x = _inverted_residual(layers, x, expansion, filters, strides, f"block{i}")
        if i in SKIP_BLOCKS:
            skips.append(x)
    if extra_block:
        x = _inverted_residual(layers, x, 6, x.shape[-1], 1, EXTRA_BLOCK, identity=True)
    if context:
        x = global_context(layers, x)
    outputs = decode(layers, x, skips, DECODER, width, upsample, output_stride)
    return keras.Model(inputs, outputs, name=f"mobilenet_unet_w{width:g}")


@hookimpl
def register_architectures(register):
    register("mobilenet-unet", build_mobilenet_unet,
             "MobileNetV2 encoder (ImageNet weights via --init) + U-Net decoder, for int8 and the Edge TPU; "
             "--arch-option upsample=transpose (default) or resize (faster on CPUs), "
             "output_stride=2 (default), 4, 8 or 16 (where the decoder stops), "
             "context=true (a global-context branch at the bottleneck), "
             "extra_block=true (one more block at the bottleneck, starting as the identity)")
