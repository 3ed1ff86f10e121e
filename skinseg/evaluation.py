"""Scoring a model on a dataset split at each image's original size."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .datasets import Sample, load_dataset
from .images import read_image, read_mask
from .metrics import confusion, summarise
from .runtime import Segmenter


def read_sample(sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """A sample's RGB image and its true mask, which must be the image's size."""
    image = read_image(sample.image)
    return image, read_mask(sample.mask, expected_size=(image.shape[1], image.shape[0]))


def predict_samples(segmenter: Segmenter, samples: Sequence[Sample], progress: bool = False):
    """Yield (sample, predicted mask, true mask) for each sample, masks at the original size."""
    from tqdm.auto import tqdm

    for sample in tqdm(samples, desc="scoring", unit="image", disable=not progress):
        image, truth = read_sample(sample)
        yield sample, segmenter.predict(image), truth


def evaluate_samples(segmenter: Segmenter, samples: Sequence[Sample], progress: bool = False) -> dict:
    """Per-image, mean and pooled metrics of ``segmenter`` on ``samples``."""
    names, confusions = [], []
    for sample, predicted, truth in predict_samples(segmenter, samples, progress):
        names.append(sample.name)
        confusions.append(confusion(predicted, truth))
    return summarise(names, confusions)


def evaluate(model: str | os.PathLike, dataset: str = "pratheepan", split: str = "test",
             data_dir=None, runtime: str | None = None, num_threads: int | None = None,
             progress: bool = False, threshold: float | None = None, adapt: bool | None = None,
             **dataset_options) -> dict:
    """Evaluate a model file (any format) on one split of a dataset; ``threshold`` and ``adapt`` override
    the file's own settings, as in Segmenter."""
    samples = load_dataset(dataset, data_dir, **dataset_options).split(split)
    segmenter = Segmenter(model, runtime=runtime, num_threads=num_threads, threshold=threshold, adapt=adapt)
    result = evaluate_samples(segmenter, samples, progress)
    result.update(model=str(model), runtime=segmenter.runtime, dataset=dataset, split=split,
                  settings=segmenter.settings.as_metadata())
    return result
