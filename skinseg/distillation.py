"""Soft training targets from teacher models (knowledge distillation).

Each teacher segments every training photo at its original size, as it would in use, and the
teachers' mean skin probability is blended with the hand-drawn mask: ``weight`` of the target
is the teachers' belief, the rest the mask. The student then learns where a stronger model is
unsure (hair, shadows, boundaries) instead of only the hard 0/1 outline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .datasets import Sample
from .images import read_image, resize_probability


def open_teachers(names: Sequence[str]) -> list:
    """A Segmenter per teacher (shipped name or model file); a missing or broken file fails here."""
    from .runtime import Segmenter

    return [Segmenter(name) for name in names]


def teacher_probabilities(samples: Sequence[Sample], img_size: int, segmenters: Sequence,
                          progress: bool = False) -> np.ndarray:
    """The teachers' (:func:`open_teachers`) mean skin probability per sample, float32 (N, S, S, 1)
    at the training size.

    Oversampled datasets repeat their samples, so each photo is segmented once and reused.
    """
    from tqdm.auto import tqdm

    out = np.empty((len(samples), img_size, img_size, 1), np.float32)
    done: dict[str, int] = {}
    for i, sample in enumerate(tqdm(samples, desc="teachers", unit="image", disable=not progress)):
        key = str(sample.image)
        if key in done:
            out[i] = out[done[key]]
            continue
        image = read_image(sample.image)
        mean = np.mean([segmenter.probability(image) for segmenter in segmenters], axis=0)
        out[i, ..., 0] = resize_probability(mean, (img_size, img_size))
        done[key] = i
    return out


def blend_targets(masks: np.ndarray, teachers: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) x the 0/1 masks + weight x the teachers' probabilities, float32."""
    weight = float(weight)  # a Python float keeps the float32 arrays float32, so no second copy is needed
    return (1.0 - weight) * masks.astype(np.float32) + weight * teachers
