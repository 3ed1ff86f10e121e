"""Model architectures, created by name through one factory."""

from __future__ import annotations

from ..errors import SkinsegError
from ..plugins import registry


def create_model(name: str, img_size: int = 256, width: float = 1.0, **options):
    """Build a registered architecture: an uncompiled Keras model from 0..255 RGB to skin probability."""
    builder = registry("architectures").get(name).obj
    return builder(img_size=img_size, width=width, **options)


def architecture_names() -> list[str]:
    return registry("architectures").names()


def check_build_args(arch: str, img_size: int, options: dict, downsamplings: int) -> None:
    """Refuse options an architecture does not take and input sizes its strides cannot halve."""
    if options:
        raise SkinsegError(f"{arch} does not take --arch-option {', '.join(sorted(options))}; "
                           "'skinseg plugins' lists each architecture's options")
    stride = 2**downsamplings
    if img_size % stride:
        raise SkinsegError(f"{arch} needs --img-size divisible by {stride} ({downsamplings} downsamplings), "
                           f"got {img_size}")


def batch_norm(name: str, momentum: float = 0.9, epsilon: float = 1e-3, gamma_initializer: str = "ones"):
    """Batch norm that all-reduces its batch statistics when built under a multi-replica
    ``tf.distribute`` strategy, so every worker keeps the same moving averages.

    Small skin datasets give few steps per epoch, hence momentum 0.9 rather than Keras' 0.99,
    which would leave the moving statistics used at inference stale for dozens of epochs.
    """
    import keras

    synchronized = False
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        synchronized = tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1
    return keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, synchronized=synchronized,
                                           gamma_initializer=gamma_initializer, name=name)


def conv_bn_relu(x, filters: int, kernel: int = 3, strides: int = 1, name: str = "", relu_max: float | None = None):
    """Convolution (no bias: batch norm has one), batch norm, ReLU (capped at ``relu_max``)."""
    import keras

    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = batch_norm(f"{name}_bn")(x)
    return keras.layers.ReLU(relu_max, name=f"{name}_relu")(x)
