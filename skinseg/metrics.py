"""Segmentation metrics, computed once, in numpy, on masks at each image's original size.

``evaluate``, ``verify`` and ``benchmark`` all score through :func:`confusion` and
:func:`scores`, so their numbers are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRIC_KEYS = ("iou", "f1", "precision", "recall", "accuracy", "miou2")


@dataclass(frozen=True)
class Confusion:
    """Pixel counts of one image (or many, added up)."""

    tp: int
    fp: int
    fn: int
    tn: int

    def __add__(self, other: "Confusion") -> "Confusion":
        return Confusion(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)


def confusion(predicted: np.ndarray, truth: np.ndarray) -> Confusion:
    """Count skin/background agreement between two boolean masks of the same shape."""
    if predicted.shape != truth.shape:
        raise ValueError(f"mask shapes differ: {predicted.shape} vs {truth.shape}")
    p, t = predicted.astype(bool), truth.astype(bool)
    tp = int(np.count_nonzero(p & t))
    fp = int(np.count_nonzero(p & ~t))
    fn = int(np.count_nonzero(~p & t))
    return Confusion(tp, fp, fn, p.size - tp - fp - fn)


def _ratio(num: int, den: int) -> float:
    # An empty denominator means there was nothing to get wrong (no skin predicted nor present).
    return 1.0 if den == 0 else num / den


def scores(c: Confusion) -> dict[str, float]:
    """Skin IoU, F1, precision, recall, pixel accuracy and two-class mean IoU."""
    iou_skin = _ratio(c.tp, c.tp + c.fp + c.fn)
    iou_background = _ratio(c.tn, c.tn + c.fp + c.fn)
    return {
        "iou": iou_skin,
        "f1": _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
        "precision": _ratio(c.tp, c.tp + c.fp),
        "recall": _ratio(c.tp, c.tp + c.fn),
        "accuracy": (c.tp + c.tn) / max(1, c.tp + c.fp + c.fn + c.tn),
        "miou2": (iou_skin + iou_background) / 2,
    }


def summarise(names: list[str], confusions: list[Confusion]) -> dict:
    """Per-image scores, their mean, and pooled scores over all pixels."""
    per_image = [{"name": n, **scores(c)} for n, c in zip(names, confusions)]
    mean = {k: float(np.mean([row[k] for row in per_image])) if per_image else float("nan") for k in METRIC_KEYS}
    pooled = scores(sum(confusions, Confusion(0, 0, 0, 0)))
    return {"per_image_mean": mean, "pooled": pooled, "per_image": per_image, "images": len(per_image)}


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels where two masks agree."""
    return float(np.count_nonzero(a == b)) / a.size
