"""The training losses against the metrics we report, on real Pratheepan masks."""

import numpy as np
import pytest

from skinseg.datasets import load_dataset
from skinseg.images import read_mask, resize_mask
from skinseg.losses import BceLovaszLoss, lovasz_two_class
from skinseg.metrics import confusion, scores

from conftest import PRATHEEPAN


@pytest.fixture(scope="module")
def masks():
    samples = load_dataset("pratheepan", PRATHEEPAN).split("train")[:4]
    return np.stack([resize_mask(read_mask(s.mask), (64, 48)) for s in samples])


def _predictions(masks):
    """Wrong in different ways: shifted, eroded, mirrored, no skin at all, all skin."""
    return {
        "exact": masks,
        "shifted": np.roll(masks, 7, axis=2),
        "eroded": masks & np.roll(masks, 3, axis=1) & np.roll(masks, -3, axis=1),
        "mirrored": masks[:, :, ::-1],
        "empty": np.zeros_like(masks),
        "full": np.ones_like(masks),
    }


def test_lovasz_of_hard_masks_is_one_minus_each_images_two_class_iou(masks):
    assert masks.any() and not masks.all()
    for kind, predicted in _predictions(masks).items():
        expected = [1.0 - scores(confusion(p, t))["miou2"] for p, t in zip(predicted, masks)]
        got = np.asarray(lovasz_two_class(masks[..., None].astype("float32"), predicted[..., None].astype("float32")))
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=kind)


def test_lovasz_loss_ranks_soft_predictions_like_the_metric(masks):
    truth = masks[..., None].astype("float32")
    loss = BceLovaszLoss()
    rng = np.random.default_rng(0)
    noise = rng.uniform(-0.3, 0.3, truth.shape).astype("float32")
    close = np.clip(0.8 * truth + 0.1 + noise * 0.2, 0.01, 0.99)
    far = np.clip(0.8 * np.roll(truth, 11, axis=2) + 0.1 + noise, 0.01, 0.99)
    assert float(loss(truth, close)) < float(loss(truth, far))
    assert loss.get_config()["lovasz_weight"] == 1.0
