"""Losses and training metrics written with backend-agnostic Keras ops, so one definition trains on
every backend."""

from __future__ import annotations

import keras
from keras import ops


def _bce_per_image(y_true, y_pred):
    return ops.mean(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))


@keras.saving.register_keras_serializable(package="skinseg")
class BceDiceLoss(keras.losses.Loss):
    """Binary cross-entropy plus soft Dice: BCE gets pixels right, Dice keeps thin skin regions."""

    def __init__(self, dice_weight: float = 1.0, smooth: float = 1.0, name: str = "bce_dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dice_weight = dice_weight
        self.smooth = smooth

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        axes = (1, 2, 3)
        intersection = ops.sum(y_true * y_pred, axis=axes)
        total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
        dice = 1.0 - (2.0 * intersection + self.smooth) / (total + self.smooth)
        return _bce_per_image(y_true, y_pred) + self.dice_weight * dice

    def get_config(self):
        return {**super().get_config(), "dice_weight": self.dice_weight, "smooth": self.smooth}


def _lovasz_per_image(errors, truth):
    """Lovász extension of the Jaccard loss for one class, per image: (B, N) errors and 0/1 truth.

    Sorting the errors (largest first) and weighting each by how much it changes the image's IoU
    gives a convex surrogate whose minimum is the IoU itself (Berman et al., CVPR 2018).
    """
    order = ops.argsort(-errors, axis=1)
    errors = ops.take_along_axis(errors, order, axis=1)
    truth = ops.stop_gradient(ops.take_along_axis(truth, order, axis=1))
    positives = ops.sum(truth, axis=1, keepdims=True)
    intersection = positives - ops.cumsum(truth, axis=1)
    union = positives + ops.cumsum(1.0 - truth, axis=1)
    jaccard = 1.0 - intersection / union
    weights = ops.concatenate([jaccard[:, :1], jaccard[:, 1:] - jaccard[:, :-1]], axis=1)
    return ops.sum(errors * ops.stop_gradient(weights), axis=1)


def lovasz_two_class(y_true, y_pred):
    """Per-image Lovász loss of the mean skin and background IoU; for 0/1 predictions it is exactly
    1 - that image's two-class mIoU."""
    truth = ops.reshape(ops.cast(y_true, y_pred.dtype), (ops.shape(y_pred)[0], -1))
    probability = ops.reshape(y_pred, (ops.shape(y_pred)[0], -1))
    errors = ops.abs(truth - probability)  # the same for both classes; their truths differ
    return 0.5 * (_lovasz_per_image(errors, truth) + _lovasz_per_image(errors, 1.0 - truth))


@keras.saving.register_keras_serializable(package="skinseg")
class BceLovaszLoss(keras.losses.Loss):
    """Binary cross-entropy plus the Lovász loss of each image's two-class IoU.

    The Lovász term optimises the score we report (mean per-image IoU of skin and background), so
    small skin regions and skin-free photos count as much as large ones; BCE keeps the
    probabilities calibrated around the 0.5 threshold. Best for fine-tuning a BCE + Dice model.
    """

    def __init__(self, lovasz_weight: float = 1.0, name: str = "bce_lovasz", **kwargs):
        super().__init__(name=name, **kwargs)
        self.lovasz_weight = lovasz_weight

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        return _bce_per_image(y_true, y_pred) + self.lovasz_weight * lovasz_two_class(y_true, y_pred)

    def get_config(self):
        return {**super().get_config(), "lovasz_weight": self.lovasz_weight}


LOSSES = {"bce-dice": BceDiceLoss, "bce-lovasz": BceLovaszLoss}


@keras.saving.register_keras_serializable(package="skinseg")
class TargetIoU(keras.metrics.BinaryIoU):
    """Keras's BinaryIoU, reading a soft target (distillation, skinseg.distillation) as skin where it
    is above 0.5; BinaryIoU itself truncates a target of 0.9 to background. 0/1 targets are unchanged."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(ops.cast(ops.convert_to_tensor(y_true) > 0.5, "float32"), y_pred, sample_weight)
