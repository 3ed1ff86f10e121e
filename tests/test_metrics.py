import numpy as np
import pytest

from skinseg.metrics import Confusion, agreement, confusion, scores, summarise


def test_confusion_counts_each_kind_of_pixel():
    predicted = np.array([[1, 1, 0, 0]], bool)
    truth = np.array([[1, 0, 1, 0]], bool)
    assert confusion(predicted, truth) == Confusion(tp=1, fp=1, fn=1, tn=1)


def test_scores_match_hand_computed_values():
    s = scores(Confusion(tp=6, fp=2, fn=2, tn=10))
    assert s["iou"] == pytest.approx(0.6)
    assert s["f1"] == pytest.approx(0.75)
    assert s["precision"] == pytest.approx(0.75)
    assert s["recall"] == pytest.approx(0.75)
    assert s["accuracy"] == pytest.approx(0.8)
    assert s["miou2"] == pytest.approx((0.6 + 10 / 14) / 2)


def test_empty_masks_count_as_perfect_not_nan():
    s = scores(Confusion(0, 0, 0, 100))
    assert s["iou"] == 1.0 and s["f1"] == 1.0 and s["miou2"] == 1.0


def test_per_image_mean_differs_from_pooled():
    big = Confusion(tp=90, fp=10, fn=0, tn=0)   # iou 0.9
    small = Confusion(tp=1, fp=0, fn=9, tn=90)  # iou 0.1
    result = summarise(["a", "b"], [big, small])
    assert result["per_image_mean"]["iou"] == pytest.approx(0.5)
    assert result["pooled"]["iou"] == pytest.approx(91 / 110)
    assert [row["name"] for row in result["per_image"]] == ["a", "b"]


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError):
        confusion(np.zeros((2, 2), bool), np.zeros((2, 3), bool))


def test_agreement():
    assert agreement(np.array([1, 0, 1, 1]), np.array([1, 1, 1, 1])) == 0.75
