"""Parity between a reference model and an exported candidate, on the same real images.

Both models go through the same :class:`~skinseg.runtime.Segmenter` pre- and post-processing, so
any difference is the export's. The verdict is the drop in per-image mean skin IoU.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .datasets import load_dataset
from .errors import SkinsegError
from .evaluation import predict_samples
from .images import read_image
from .metrics import agreement, confusion, summarise
from .runtime import Segmenter

DEFAULT_MAX_IOU_DROP = 0.01


def verify(reference: str | os.PathLike, candidate: str | os.PathLike, dataset: str = "pratheepan",
           split: str = "test", data_dir=None, max_iou_drop: float = DEFAULT_MAX_IOU_DROP,
           runtime: str | None = None, num_threads: int | None = None, worst: int = 5,
           progress: bool = False, keep_masks: bool = False, threshold: float | None = None,
           adapt: bool | None = None, **dataset_options) -> dict:
    """Score both models on one split and compare them image by image.

    Both run with one inference setting: ``threshold`` and ``adapt`` if given, else the candidate
    file's own (what a user of the exported file gets), so the comparison is between the two networks.
    """
    samples = load_dataset(dataset, data_dir, **dataset_options).split(split)
    cand = Segmenter(candidate, runtime=runtime, num_threads=num_threads, threshold=threshold, adapt=adapt)
    ref = Segmenter(reference, num_threads=num_threads, **cand.settings.as_metadata())
    rebuilt_at = None
    if ref.runtime == "keras" and ref.model.input_size != cand.model.input_size:
        # An artifact exported with --img-size: compare it with its own network at that size.
        ref, rebuilt_at = _keras_at_size(ref, cand.model.input_size, num_threads), list(cand.model.input_size)
    names, ref_conf, cand_conf, agree, matched, masks = [], [], [], [], 0, []
    total = 0
    for sample, ref_mask, truth, _ in predict_samples(ref, samples, progress):
        cand_mask = cand.predict(read_image(sample.image))
        names.append(sample.name)
        ref_conf.append(confusion(ref_mask, truth))
        cand_conf.append(confusion(cand_mask, truth))
        agree.append(agreement(ref_mask, cand_mask))
        matched += int(np.count_nonzero(ref_mask == cand_mask))
        total += ref_mask.size
        if keep_masks:
            masks.append((sample, ref_mask, cand_mask, truth))
    ref_scores, cand_scores = summarise(names, ref_conf), summarise(names, cand_conf)
    iou_drop = ref_scores["per_image_mean"]["iou"] - cand_scores["per_image_mean"]["iou"]
    per_image = [
        {"name": n, "agreement": a, "reference_iou": r["iou"], "candidate_iou": c["iou"],
         "iou_drop": r["iou"] - c["iou"]}
        for n, a, r, c in zip(names, agree, ref_scores["per_image"], cand_scores["per_image"])
    ]
    result = {
        "reference": {"model": str(reference), "runtime": ref.runtime, "rebuilt_at": rebuilt_at,
                      **_headline(ref_scores)},
        "candidate": {"model": str(candidate), "runtime": cand.runtime, **_headline(cand_scores)},
        "dataset": dataset, "split": split, "images": len(names), "settings": cand.settings.as_metadata(),
        "iou_drop": iou_drop,
        "pixel_agreement": matched / max(1, total),
        "pixel_agreement_per_image_mean": float(np.mean(agree)) if agree else float("nan"),
        "max_iou_drop": max_iou_drop,
        "passed": iou_drop <= max_iou_drop,
        "worst": sorted(per_image, key=lambda row: row["agreement"])[:worst],
        "per_image": per_image,
    }
    if keep_masks:
        result["_masks"] = masks
    return result


def _keras_at_size(reference: Segmenter, size: tuple[int, int], num_threads: int | None) -> Segmenter:
    from .keras_io import at_input_size, load_keras_model, save_keras_model

    width, height = size
    if width != height:
        raise SkinsegError(f"the candidate takes {width}x{height} images and the reference "
                           f"{reference.model.input_size[0]}x{reference.model.input_size[1]}; give a reference of its size")
    model = at_input_size(load_keras_model(reference.model.path), width)
    with tempfile.TemporaryDirectory(prefix="skinseg-verify-") as tmp:
        path = Path(tmp) / "reference.keras"
        save_keras_model(model, path)
        return Segmenter(path, num_threads=num_threads, **reference.settings.as_metadata())


def _headline(summary: dict) -> dict:
    return {"per_image_mean": summary["per_image_mean"], "pooled": summary["pooled"]}
