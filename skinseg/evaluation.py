"""Scoring a model on a dataset split at each image's original size."""

from __future__ import annotations

import os
import time
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


def predict_samples(segmenter: Segmenter, samples: Sequence[Sample], progress: bool = False, desc: str = "scoring"):
    """Yield (sample, predicted mask, true mask, seconds) for each sample, masks at the original size;
    seconds is the prediction's end-to-end time, decoding not included (the user's app does that)."""
    from tqdm.auto import tqdm

    for sample in tqdm(samples, desc=desc, unit="image", disable=not progress):
        image, truth = read_sample(sample)
        start = time.perf_counter()
        predicted = segmenter.predict(image)
        yield sample, predicted, truth, time.perf_counter() - start


def evaluate_samples(segmenter: Segmenter, samples: Sequence[Sample], progress: bool = False,
                     desc: str = "scoring") -> dict:
    """Per-image, mean and pooled metrics of ``segmenter`` on ``samples``, and the end-to-end
    milliseconds per photo (``latency_ms``: median and p90)."""
    names, confusions, seconds = [], [], []
    for sample, predicted, truth, elapsed in predict_samples(segmenter, samples, progress, desc):
        names.append(sample.name)
        confusions.append(confusion(predicted, truth))
        seconds.append(elapsed)
    ms = np.asarray(seconds) * 1000.0
    latency = {"median": float(np.median(ms)), "p90": float(np.percentile(ms, 90))} if len(ms) else {}
    return {**summarise(names, confusions), "latency_ms": latency}


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
