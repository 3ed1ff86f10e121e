"""The reference SegNet for skin: 4 strided-conv downsamplings, 4 transposed-conv upsamplings.

conv 64, strided conv 64, conv 128, strided conv 128, ... up to 512, then four times
(transposed conv stride 2 + conv) back down to 64 and a 1x1 conv to one sigmoid channel, with
batch norm and ReLU after every conv. At width 1.0 it has 11.7 M parameters.
"""

from __future__ import annotations

from ..errors import require
from ..hookspecs import hookimpl
from . import batch_norm, check_build_args, conv_bn_relu

FILTERS = (64, 128, 256, 512)


def build_segnet(img_size: int = 256, width: float = 1.0, **options):
    """The reference skin SegNet; ``width`` scales every layer's filters."""
    check_build_args("segnet", img_size, options, downsamplings=len(FILTERS))
    keras = require("keras", "train")
    layers = keras.layers
    filters = [max(4, int(round(f * width))) for f in FILTERS]

    inputs = keras.Input((img_size, img_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255.0, name="normalise")(inputs)
    for i, f in enumerate(filters):
        x = conv_bn_relu(x, f, name=f"enc{i}a")
        x = conv_bn_relu(x, f, strides=2, name=f"enc{i}b")
    for i, f in enumerate(reversed(filters)):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", use_bias=False, name=f"dec{i}_up")(x)
        x = batch_norm(f"dec{i}_up_bn")(x)
        x = layers.ReLU(name=f"dec{i}_up_relu")(x)
        x = conv_bn_relu(x, f, name=f"dec{i}")
    x = layers.Conv2D(1, 1, name="logits")(x)
    outputs = layers.Activation("sigmoid", dtype="float32", name="skin")(x)
    return keras.Model(inputs, outputs, name=f"segnet_w{width:g}")


@hookimpl
def register_architectures(register):
    register("segnet", build_segnet, "reference skin SegNet, 11.7 M parameters at width 1.0")
