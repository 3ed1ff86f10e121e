"""The training input pipeline: decode once with Pillow, then augment and batch with tf.data.

Images are decoded and resized by the same Pillow code the runtimes use (``images.resize_rgb``),
so an un-augmented training image is exactly what a deployed model sees. Augmentation (flips,
scale/crop, colour jitter) runs in tf.data, which feeds every Keras backend.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _augment(tf, image, mask, seed, img_size: int, min_scale: float):
    """Random flip, scale/crop and colour jitter on one (image, mask) pair of float tensors.

    Stateless random ops driven by a per-element seed make a run repeatable from ``--seed``.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=9)

    def uniform(i, low=0.0, high=1.0):
        return tf.random.stateless_uniform((), seed=seeds[i], minval=low, maxval=high)

    flip = uniform(0) < 0.5
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    mask = tf.cond(flip, lambda: tf.image.flip_left_right(mask), lambda: mask)

    # Zoom in on a random box covering min_scale..1 of each side, at a random aspect.
    scale_h = uniform(1, min_scale, 1.0)
    scale_w = tf.clip_by_value(scale_h * uniform(2, 0.8, 1.25), min_scale, 1.0)
    top = uniform(3) * (1.0 - scale_h)
    left = uniform(4) * (1.0 - scale_w)
    box = tf.stack([[top, left, top + scale_h, left + scale_w]])
    crop = [img_size, img_size]
    image = tf.image.crop_and_resize(image[None], box, [0], crop, method="bilinear")[0]
    mask = tf.image.crop_and_resize(mask[None], box, [0], crop, method="nearest")[0]

    pixels = image / 255.0
    pixels = tf.image.stateless_random_brightness(pixels, 0.15, seed=seeds[5])
    pixels = tf.image.stateless_random_contrast(pixels, 0.75, 1.25, seed=seeds[6])
    pixels = tf.image.stateless_random_saturation(pixels, 0.75, 1.25, seed=seeds[7])
    pixels = tf.image.stateless_random_hue(pixels, 0.03, seed=seeds[8])
    return tf.clip_by_value(pixels, 0.0, 1.0) * 255.0, mask


def make_dataset(images: np.ndarray, masks: np.ndarray, batch_size: int, augment: bool = False,
                 shuffle: bool = False, seed: int = 0, min_scale: float = 0.6, repeat: bool = False):
    """A tf.data.Dataset of (float32 images 0..255, float32 masks 0/1) batches."""
    tf = require("tensorflow", "train")
    img_size = images.shape[1]
    ds = tf.data.Dataset.from_tensor_slices((images, masks))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()

    def to_float(image, mask):
        return tf.cast(image, tf.float32), tf.cast(mask, tf.float32)

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if augment:
        # One fresh seed pair per element and epoch, itself drawn from the run's seed.
        element_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip((ds, element_seeds))
        ds = ds.map(lambda pair, s: _augment(tf, pair[0], pair[1], s, img_size, min_scale),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
