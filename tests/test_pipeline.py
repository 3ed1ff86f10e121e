"""The training input pipeline on real photos: mosaics, camera changes, repeatability, epoch length."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PRATHEEPAN, SHARED

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def pairs():
    from skinseg.datasets import load_dataset
    from skinseg.pipeline import load_arrays

    samples = load_dataset("pratheepan", PRATHEEPAN).split("train")[:6]
    samples += load_dataset("folder", SHARED / "sfa").split("train")[:6]
    return load_arrays(samples, 64)


@pytest.mark.parametrize("grid", [2, 3])
def test_mosaic_puts_its_pairs_side_by_side_shrunk(pairs, grid):
    import tensorflow as tf

    from skinseg.pipeline import _mosaic

    count = grid * grid
    images, masks = (tf.constant(a[:count], tf.float32) for a in pairs)
    image, mask = (t.numpy() for t in _mosaic(tf, images[0], masks[0], images[1:], masks[1:], grid))
    assert image.shape == (64, 64, 3) and mask.shape == (64, 64, 1)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    edges = [64 * k // grid for k in range(grid + 1)]  # 64 = 21 + 21 + 22 for a 3x3 grid
    for i in range(count):
        rows = slice(edges[i // grid], edges[i // grid + 1])
        cols = slice(edges[i % grid], edges[i % grid + 1])
        shrunk = tf.image.resize(images[i], (rows.stop - rows.start, cols.stop - cols.start), method="area")
        np.testing.assert_allclose(image[rows, cols], shrunk.numpy(), atol=1e-3)
        # Each tile keeps its photo's share of skin, to within the rounding of its edges.
        assert abs(mask[rows, cols].mean() - pairs[1][i].mean()) < 0.06


def test_mosaic_share_keeps_the_epoch_and_repeats_with_the_seed(pairs):
    from skinseg.pipeline import make_dataset

    images, masks = pairs

    def batches(**options):
        return [(x.numpy(), y.numpy()) for x, y in make_dataset(images, masks, 5, augment=True, shuffle=True,
                                                                  seed=3, **options)]

    plain, mixed, again, every = batches(), batches(mosaic=0.5), batches(mosaic=0.5), batches(mosaic=1.0)
    assert [len(x) for x, _ in mixed] == [len(x) for x, _ in plain] == [5, 5, 2]  # 12 examples, as without
    for (x, y), (x2, y2) in zip(mixed, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
    assert all(set(np.unique(y)) <= {0.0, 1.0} for _, y in every)
    # With a share of 1 every example is a mosaic whose first quarter is the example it replaces.
    import tensorflow as tf

    plain_x, every_x = np.concatenate([x for x, _ in plain]), np.concatenate([x for x, _ in every])
    shrunk = tf.image.resize(plain_x, (32, 32), method="area").numpy()
    np.testing.assert_allclose(every_x[:, :32, :32], shrunk, atol=1e-3)
    assert not any(np.array_equal(a, b) for a in plain_x for b in every_x)
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches(mosaic=0.0)]), plain_x)


def test_camera_changes_move_colour_and_light_but_not_the_crops(pairs):
    from skinseg.pipeline import Camera, make_dataset

    images, masks = pairs

    def examples(camera=Camera()):
        batches = list(make_dataset(images, masks, 12, augment=True, shuffle=True, seed=5, camera=camera))
        return batches[0][0].numpy(), batches[0][1].numpy()

    plain, plain_masks = examples()
    for camera in (Camera(exposure=3.0), Camera(white_balance=1.0), Camera(grayscale=1.0)):
        changed, changed_masks = examples(camera)
        # Its draws are its own: every flip and crop is the one the run without it makes.
        np.testing.assert_array_equal(changed_masks, plain_masks)
        assert not np.allclose(changed, plain)
    darker_or_brighter = examples(Camera(exposure=3.0))[0].mean(axis=(1, 2, 3)) / plain.mean(axis=(1, 2, 3))
    assert darker_or_brighter.min() < 0.8 and darker_or_brighter.max() > 1.2
    warm_or_cool = examples(Camera(white_balance=1.0))[0]
    red_over_blue = warm_or_cool[..., 0].mean(axis=(1, 2)) / warm_or_cool[..., 2].mean(axis=(1, 2))
    ratio = red_over_blue / (plain[..., 0].mean(axis=(1, 2)) / plain[..., 2].mean(axis=(1, 2)))
    assert ratio.min() < 0.9 and ratio.max() > 1.1
    gray = examples(Camera(grayscale=1.0))[0]
    np.testing.assert_allclose(gray[..., 0], gray[..., 1], atol=1e-3)
    np.testing.assert_allclose(gray[..., 1], gray[..., 2], atol=1e-3)
    some = examples(Camera(grayscale=0.5))[0]
    colourless = np.abs(some[..., 0] - some[..., 2]).max(axis=(1, 2)) < 1e-3
    assert 0 < colourless.sum() < len(some)


def test_aspect_widens_how_far_crops_squeeze_or_stretch(pairs):
    import tensorflow as tf

    from skinseg.pipeline import _crop_box, make_dataset

    def ratios(min_scale, aspect):
        out = []
        for k in range(300):
            seeds = tf.random.experimental.stateless_split(tf.constant([k, 7], tf.int64), num=5)
            box = _crop_box(tf, lambda i, low=0.0, high=1.0: tf.random.stateless_uniform(
                (), seed=seeds[i], minval=low, maxval=high), min_scale, aspect).numpy()[0]
            assert (box[:2] >= -1e-6).all() and (box[2:] <= 1 + 1e-6).all()
            height, width = box[2] - box[0], box[3] - box[1]
            assert min(height, width) >= min_scale - 1e-6
            out.append(width / height)
        return np.asarray(out)

    np.testing.assert_allclose(ratios(0.6, 1.0), 1.0, atol=1e-6)  # the photo's own aspect, zoomed
    default, wide = ratios(0.5, 1.25), ratios(0.5, 1.67)
    assert default.min() >= 0.8 - 1e-6 and default.max() <= 1.25 + 1e-6
    assert wide.min() < 0.7 and wide.max() > 1.4  # tiles show people about 1.67x wider than whole photos
    images, masks = pairs
    plain = next(iter(make_dataset(images, masks, 12, augment=True, shuffle=True, seed=5)))[1].numpy()
    squeezed = next(iter(make_dataset(images, masks, 12, augment=True, shuffle=True, seed=5, aspect=1.67)))[1].numpy()
    assert not np.array_equal(plain, squeezed)
