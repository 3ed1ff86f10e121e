"""The ``folder`` dataset: any ``images/`` + ``masks/`` pair of folders matched by file stem.

An optional ``manifest.csv`` with ``stem`` and ``split`` columns fixes the split; without one the
pairs are split at random (ratios and seed).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import SkinsegError
from ..hookspecs import hookimpl
from ..images import is_image_file
from . import Dataset, Sample, candidate_dirs, random_split


def pair_folder(root: Path) -> list[Sample]:
    """Match ``root/images/*`` to ``root/masks/*`` by stem; an image without a mask is an error."""
    images_dir, masks_dir = root / "images", root / "masks"
    for folder in (images_dir, masks_dir):
        if not folder.is_dir():
            raise SkinsegError(f"{folder}: folder not found; a folder dataset needs images/ and masks/")
    masks = {p.stem: p for p in masks_dir.iterdir() if is_image_file(p)}
    samples = []
    for image in sorted(images_dir.iterdir()):
        if not is_image_file(image):
            continue
        mask = masks.get(image.stem)
        if mask is None:
            raise SkinsegError(
                f"{image}: no mask named {image.stem}.* in {masks_dir}; add it or remove the image"
            )
        samples.append(Sample(image.stem, image, mask))
    if not samples:
        raise SkinsegError(f"{images_dir}: no images found")
    return samples


def read_manifest(path: Path) -> dict[str, str]:
    """stem -> split from a manifest.csv."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"stem", "split"} <= set(reader.fieldnames):
            raise SkinsegError(f"{path}: needs 'stem' and 'split' columns")
        return {row["stem"]: row["split"] for row in reader}


def load_folder(
    data_dir=None, scheme=None, ratios=(0.6, 0.2, 0.2), seed=0, subset=None, name="folder", **_
) -> Dataset:
    if data_dir is None and name == "folder":
        raise SkinsegError("the folder dataset needs --data-dir pointing at images/ and masks/")
    root = next((d for d in candidate_dirs(name, data_dir) if d.is_dir()), None)
    if root is None:
        where = " or ".join(str(d) for d in candidate_dirs(name, data_dir))
        raise SkinsegError(f"dataset {name!r} not found; put its images/ and masks/ in {where}")
    samples = pair_folder(root)
    manifest = root / "manifest.csv"
    scheme = scheme or ("manifest" if manifest.exists() else "random")
    if scheme == "manifest":
        if not manifest.exists():
            raise SkinsegError(f"{manifest}: not found; use --split random or add a manifest")
        split_of = read_manifest(manifest)
        splits: dict[str, list[Sample]] = {}
        for sample in samples:
            if sample.name in split_of:
                splits.setdefault(split_of[sample.name], []).append(sample)
    elif scheme == "random":
        splits = random_split(samples, tuple(ratios), seed)
    else:
        raise SkinsegError(f"unknown split {scheme!r} for dataset {name!r}; available: manifest, random")
    return Dataset(name=name, root=root, splits=splits, scheme=scheme)


@hookimpl
def register_datasets(register):
    register("folder", load_folder, "any images/ + masks/ folder pair (optional manifest.csv)")
