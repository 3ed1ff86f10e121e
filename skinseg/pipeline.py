"""The training input pipeline: decode once with Pillow, then augment and batch with tf.data.

Images are decoded and resized by the same Pillow code the runtimes use (``images.resize_rgb``),
so an un-augmented training image is exactly what a deployed model sees. Augmentation (flips,
scale/crop, colour jitter, optionally camera changes and mosaics) runs in tf.data, which feeds every Keras backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .datasets import Sample
from .errors import SkinsegError, require
from .images import read_image, read_mask, resize_mask, resize_rgb


def load_arrays(samples: Sequence[Sample], img_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode every pair at the model's input size: uint8 (N, S, S, 3) images and (N, S, S, 1) masks."""
    if not samples:
        raise SkinsegError("no samples to load; check the dataset and split")
    size = (img_size, img_size)
    images = np.empty((len(samples), img_size, img_size, 3), np.uint8)
    masks = np.empty((len(samples), img_size, img_size, 1), np.uint8)
    for i, sample in enumerate(samples):
        image = read_image(sample.image)
        if sample.mask is None:
            raise SkinsegError(f"{sample.image}: has no mask; training needs a mask for every image")
        mask = read_mask(sample.mask, expected_size=(image.shape[1], image.shape[0]))
        images[i] = resize_rgb(image, size)
        masks[i, ..., 0] = resize_mask(mask, size)
    return images, masks


@dataclass(frozen=True)
class Camera:
    """How far augmentation moves a photo's exposure and white balance, and how often it drops the
    colour: what another camera, light or photographer changes. All zero (the default) leaves
    the jitter of earlier releases alone, draw for draw."""

    exposure: float = 0.0  # up to this many stops darker or brighter
    white_balance: float = 0.0  # red and blue gains each up to this many stops from green
    grayscale: float = 0.0  # share of photos shown without colour

    def __bool__(self) -> bool:
        return bool(self.exposure or self.white_balance or self.grayscale)


# sRGB is close to a 2.2 power of linear light, so scaling the light by 2**s scales pixels by 2**(s/2.2).
GAMMA = 2.2


def _camera(tf, pixels, seed, camera: Camera):
    """Exposure, white balance and grayscale on 0..1 pixels, from seeds of their own (folded from the
    element's), so the flips, crops and jitter draws stay those of a run without them."""
    seeds = tf.random.experimental.stateless_split(tf.random.experimental.stateless_fold_in(seed, 1), num=3)
    stops = tf.random.stateless_uniform((), seed=seeds[0], minval=-camera.exposure, maxval=camera.exposure)
    balance = tf.random.stateless_uniform((2,), seed=seeds[1], minval=-camera.white_balance,
                                          maxval=camera.white_balance)
    gains = tf.pow(2.0, (stops + tf.stack([balance[0], 0.0, balance[1]])) / GAMMA)
    pixels = tf.clip_by_value(pixels * gains, 0.0, 1.0)
    gray = tf.random.stateless_uniform((), seed=seeds[2]) < camera.grayscale
    return tf.cond(gray, lambda: tf.image.grayscale_to_rgb(tf.image.rgb_to_grayscale(pixels)), lambda: pixels)


def _crop_box(tf, uniform, min_scale: float, aspect: float):
    """A random box (top, left, bottom, right, as fractions) covering min_scale..1 of each side, its
    width over height changed by a factor from 1/aspect to aspect as far as the box fits."""
    scale_h = uniform(1, min_scale, 1.0)
    scale_w = tf.clip_by_value(scale_h * uniform(2, 1.0 / aspect, aspect), min_scale, 1.0)
    top = uniform(3) * (1.0 - scale_h)
    left = uniform(4) * (1.0 - scale_w)
    return tf.stack([[top, left, top + scale_h, left + scale_w]])


def _augment(tf, image, mask, seed, img_size: int, min_scale: float, camera: Camera, aspect: float):
    """Random flip, scale/crop and colour jitter on one (image, mask) pair of float tensors, and
    ``camera`` changes (:class:`Camera`) before the jitter.

    Stateless random ops driven by a per-element seed make a run repeatable from ``--seed``.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=9)

    def uniform(i, low=0.0, high=1.0):
        return tf.random.stateless_uniform((), seed=seeds[i], minval=low, maxval=high)

    flip = uniform(0) < 0.5
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    mask = tf.cond(flip, lambda: tf.image.flip_left_right(mask), lambda: mask)

    box = _crop_box(tf, uniform, min_scale, aspect)
    crop = [img_size, img_size]
    image = tf.image.crop_and_resize(image[None], box, [0], crop, method="bilinear")[0]
    mask = tf.image.crop_and_resize(mask[None], box, [0], crop, method="nearest")[0]

    pixels = image / 255.0
    if camera:
        pixels = _camera(tf, pixels, tf.cast(seed, tf.int64), camera)
    pixels = tf.image.stateless_random_brightness(pixels, 0.15, seed=seeds[5])
    pixels = tf.image.stateless_random_contrast(pixels, 0.75, 1.25, seed=seeds[6])
    pixels = tf.image.stateless_random_saturation(pixels, 0.75, 1.25, seed=seeds[7])
    pixels = tf.image.stateless_random_hue(pixels, 0.03, seed=seeds[8])
    return tf.clip_by_value(pixels, 0.0, 1.0) * 255.0, mask


def _mosaic(tf, image, mask, others, other_masks, grid: int = 2, soft: bool = False):
    """``grid`` x ``grid`` (image, mask) pairs side by side, each shrunk to 1/``grid`` of the side:
    the pair itself top left, then ``others`` row by row.

    Everything in the tiles shrinks with them: a face that fills a portrait becomes one of the
    small faces of a group photo, a scale the close-ups of SFA and abdomen never show. ``soft``
    masks (distillation targets) keep their area-averaged values.
    """
    size = image.shape[0]
    edges = [size * k // grid for k in range(grid + 1)]
    sides = [b - a for a, b in zip(edges, edges[1:])]
    images = tf.concat([image[None], others], 0)
    masks = tf.concat([mask[None], other_masks], 0)
    rows, mask_rows = [], []
    for r, height in enumerate(sides):
        tiles, mask_tiles = [], []
        for c, width in enumerate(sides):
            i = r * grid + c
            tiles.append(tf.image.resize(images[i], (height, width), method="area"))
            # Area-averaged skin cover, thresholded, keeps thin regions that nearest would drop.
            cover = tf.image.resize(masks[i], (height, width), method="area")
            mask_tiles.append(cover if soft else tf.cast(cover > 0.5, tf.float32))
        rows.append(tf.concat(tiles, 1))
        mask_rows.append(tf.concat(mask_tiles, 1))
    return tf.concat(rows, 0), tf.concat(mask_rows, 0)


def make_dataset(images: np.ndarray, masks: np.ndarray, batch_size: int, augment: bool = False,
                 shuffle: bool = False, seed: int = 0, min_scale: float = 0.6, repeat: bool = False,
                 mosaic: float = 0.0, mosaic_grid: int = 2, camera: Camera = Camera(), aspect: float = 1.25,
                 epochs: tuple[int, int] | None = None):
    """A tf.data.Dataset of (float32 images 0..255, float32 masks 0/1) batches; float ``masks``
    are soft targets in 0..1 (:mod:`skinseg.distillation`) and stay soft through augmentation.

    With ``augment``, a share ``mosaic`` of the examples are ``mosaic_grid`` x ``mosaic_grid``
    mosaics of augmented pairs (:func:`_mosaic`): the example itself and others drawn from the
    same training set. ``camera`` widens the photometric augmentation (:class:`Camera`).

    One epoch (epoch 0) by default; ``epochs=(first, stop)`` gives those epochs' batches back to
    back, for ``fit`` with ``steps_per_epoch``; ``repeat`` gives epochs without end. Every draw
    (order, augmentation, mosaic partners) is keyed on the seed, the epoch and the example's place
    in it, never on how often the dataset was iterated, so a run resumed at epoch k trains on
    exactly the batches it would have had without the interruption.
    """
    tf = require("tensorflow", "train")
    count, img_size = len(images), images.shape[1]
    soft = masks.dtype != np.uint8
    others = mosaic_grid**2 - 1
    images, masks = tf.constant(images), tf.constant(masks)

    def pair(index):
        return tf.cast(tf.gather(images, index), tf.float32), tf.cast(tf.gather(masks, index), tf.float32)

    def key(epoch_key, stream, position):
        # A stateless seed of its own for each random stream and example.
        return tf.random.experimental.stateless_fold_in(tf.random.experimental.stateless_fold_in(epoch_key, stream),
                                                        position)

    def augmented(index, seed):
        return _augment(tf, *pair(index), seed, img_size, min_scale, camera, aspect)

    def example(epoch_key, position, index):
        if not augment:
            return pair(index)
        image, mask = augmented(index, key(epoch_key, 1, position))
        if mosaic <= 0:
            return image, mask

        def tiled():
            partners = tf.random.stateless_uniform((others,), seed=key(epoch_key, 2, position), maxval=count,
                                                   dtype=tf.int64)
            views = [augmented(partners[j], key(epoch_key, 3, position * others + j)) for j in range(others)]
            return _mosaic(tf, image, mask, tf.stack([v[0] for v in views]), tf.stack([v[1] for v in views]),
                           mosaic_grid, soft)

        use = tf.random.stateless_uniform((), seed=key(epoch_key, 4, position)) < mosaic
        return tf.cond(use, tiled, lambda: (image, mask))

    def one_epoch(epoch):
        epoch_key = tf.stack([tf.constant(seed, tf.int64), epoch])
        if shuffle:
            draws = tf.random.stateless_uniform((count,), seed=key(epoch_key, 0, 0))
            order = tf.cast(tf.argsort(draws, stable=True), tf.int64)
        else:
            order = tf.range(count, dtype=tf.int64)
        positions = tf.data.Dataset.from_tensor_slices(order).enumerate()
        return positions.map(lambda position, index: example(epoch_key, position, index),
                             num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(batch_size)

    first, stop = epochs or (0, 1)
    if repeat:
        return tf.data.Dataset.counter(first).flat_map(one_epoch).prefetch(tf.data.AUTOTUNE)
    batches = (stop - first) * -(-count // batch_size)
    # flat_map hides the length; stating it keeps Keras' progress bars and end-of-data checks exact.
    ds = tf.data.Dataset.range(first, stop).flat_map(one_epoch)
    return ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(tf.data.AUTOTUNE)
