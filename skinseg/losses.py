"""Losses written with backend-agnostic Keras ops, so one definition trains on every backend."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="skinseg")
class BceDiceLoss(keras.losses.Loss):
    """Binary cross-entropy plus soft Dice: BCE gets pixels right, Dice keeps thin skin regions."""

    def __init__(self, dice_weight: float = 1.0, smooth: float = 1.0, name: str = "bce_dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dice_weight = dice_weight
        self.smooth = smooth

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        bce = ops.mean(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))
        axes = (1, 2, 3)
        intersection = ops.sum(y_true * y_pred, axis=axes)
        total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
        dice = 1.0 - (2.0 * intersection + self.smooth) / (total + self.smooth)
        return bce + self.dice_weight * dice

    def get_config(self):
        return {**super().get_config(), "dice_weight": self.dice_weight, "smooth": self.smooth}
