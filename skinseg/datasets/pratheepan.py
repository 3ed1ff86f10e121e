"""The Pratheepan skin dataset (Tan, Chan, Yogarajah and Condell, 2012), the default dataset.

78 photographs (32 FacePhoto, 46 FamilyPhoto) with hand-drawn masks, read in the layout the
official archive unpacks to. Every file is checked against the SHA-256 manifest shipped in the
package, so a damaged or altered copy is refused whatever archive it came in.
"""

from __future__ import annotations

import csv
import functools
import os
import shutil
import tempfile
from importlib.resources import files
from pathlib import Path

from ..errors import SkinsegError
from ..files import sha256_file
from ..hookspecs import hookimpl
from . import Dataset, Sample, cache_root, candidate_dirs, random_split
from .archives import download, safe_extract

NAME = "pratheepan"
HOME_PAGE = "http://cs-chan.com/downloads_skin_dataset.html"
# The archive's address could not be confirmed offline; SKINSEG_PRATHEEPAN_URL overrides it and
# the per-file manifest, not the archive, is what guarantees the data.
DEFAULT_URL = "http://cs-chan.com/source/FADS/Face_Dataset.zip"
SUBSETS = {"face": "FacePhoto", "family": "FamilyPhoto"}
PARTS = ("Pratheepan_Dataset", "Ground_Truth")  # the two folders the dataset consists of


def archive_url() -> str:
    return os.environ.get("SKINSEG_PRATHEEPAN_URL", DEFAULT_URL)


@functools.lru_cache(maxsize=None)
def file_manifest() -> dict[str, str]:
    """Relative path -> SHA-256 of every official image and mask."""
    text = files(__package__).joinpath("data/pratheepan_sha256.csv").read_text(encoding="utf-8")
    return {row["path"]: row["sha256"] for row in csv.DictReader(text.splitlines())}


@functools.lru_cache(maxsize=None)
def seed_split() -> dict[str, tuple[str, str]]:
    """Image path -> (split, subset) of the 47/16/15 seed split."""
    text = files(__package__).joinpath("data/pratheepan_seed_split.csv").read_text(encoding="utf-8")
    return {row["image"]: (row["split"], row["subset"]) for row in csv.DictReader(text.splitlines())}


def _mask_for(image_rel: str) -> str:
    _, subset, filename = image_rel.split("/")
    return f"Ground_Truth/GroundT_{subset}/{Path(filename).stem}.png"


def find_root(folder: Path) -> Path | None:
    """The folder holding Pratheepan_Dataset/ and Ground_Truth/, at most two levels down."""
    for candidate in [folder, *folder.glob("*"), *folder.glob("*/*")]:
        if (candidate / "Pratheepan_Dataset").is_dir() and (candidate / "Ground_Truth").is_dir():
            return candidate
    return None


def verify(root: Path) -> None:
    """Check every manifest file exists with its SHA-256; raise naming the first bad ones."""
    missing, altered = [], []
    for rel, digest in file_manifest().items():
        path = root / rel
        if not path.is_file():
            missing.append(rel)
        elif sha256_file(path) != digest:
            altered.append(rel)
    if missing or altered:
        problems = [f"{len(missing)} missing"] if missing else []
        problems += [f"{len(altered)} altered"] if altered else []
        example = (missing + altered)[0]
        raise SkinsegError(
            f"{root}: Pratheepan copy is damaged ({', '.join(problems)}, e.g. {example}); "
            f"fetch it again with: skinseg datasets fetch pratheepan --force"
        )


def import_copy(source: str | os.PathLike, dest: Path | None = None, force: bool = False,
                progress: bool = False) -> Path:
    """Install a Pratheepan archive or unpacked folder into ``dest`` (default: the cache).

    The copy is verified file by file before it is moved into place, so ``dest`` holds either
    a complete, verified dataset or nothing new.
    """
    source = Path(source)
    dest = Path(dest) if dest else cache_root() / NAME
    if not source.exists():
        raise SkinsegError(f"{source}: not found; give the Pratheepan zip or its unpacked folder")
    if find_root(dest) is not None and not force:
        raise SkinsegError(f"{dest}: already holds Pratheepan; add --force to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        if source.is_dir():
            root = find_root(source)
            if root is None:
                raise SkinsegError(f"{source}: no Pratheepan_Dataset/ and Ground_Truth/ folders inside")
            target = staging / "data"
            target.mkdir()
            for part in PARTS:
                shutil.copytree(root / part, target / part)
        else:
            target = staging / "data"
            safe_extract(source, target, progress=progress)
            root = find_root(target)
            if root is None:
                raise SkinsegError(f"{source}: archive has no Pratheepan_Dataset/ and Ground_Truth/ folders")
            target = root
        verify(target)
        _install(target, dest, staging / "replaced")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _install(verified: Path, dest: Path, aside: Path) -> None:
    """Move the two verified dataset folders into ``dest``. Only those two are ever replaced: anything
    else in ``dest`` is the user's and stays. A copy they replace is moved aside first and restored
    if the move fails, so ``dest`` ends with the old copy or the new one, never neither."""
    dest.mkdir(parents=True, exist_ok=True)
    aside.mkdir()
    moved = []
    try:
        for part in PARTS:
            if (dest / part).exists():
                os.replace(dest / part, aside / part)
                moved.append(part)
        for part in PARTS:
            os.replace(verified / part, dest / part)
    except OSError as exc:
        for part in moved:
            if (dest / part).exists():
                shutil.rmtree(dest / part, ignore_errors=True)
            os.replace(aside / part, dest / part)
        raise SkinsegError(f"{dest}: could not put the dataset in place ({exc.strerror}); the previous copy "
                           "is unchanged") from None


def fetch(url: str | None = None, dest: Path | None = None, force: bool = False,
          progress: bool = True, sha256: str | None = None) -> Path:
    """Download the official archive, verify it file by file and cache it."""
    dest = Path(dest) if dest else cache_root() / NAME
    if find_root(dest) is not None and not force:
        return dest
    url = url or archive_url()
    sha256 = sha256 or os.environ.get("SKINSEG_PRATHEEPAN_SHA256")
    try:
        archive = download(url, sha256=sha256, progress=progress)
    except SkinsegError as exc:
        raise SkinsegError(
            f"{exc}. Download the archive from {HOME_PAGE} and run "
            f"'skinseg datasets fetch pratheepan --from FILE', or unpack it into {dest}"
        ) from None
    try:
        return import_copy(archive, dest, force=True, progress=progress)
    finally:
        shutil.rmtree(archive.parent, ignore_errors=True)


def samples(root: Path, subset: str | None = None) -> list[Sample]:
    """Every (image, mask) pair in the official layout, optionally one subset."""
    folder = SUBSETS.get(subset) if subset else None
    if subset and folder is None:
        raise SkinsegError(f"unknown Pratheepan subset {subset!r}; available: {', '.join(SUBSETS)}")
    found = []
    for rel in sorted(seed_split()):
        if folder and f"/{folder}/" not in rel:
            continue
        found.append(Sample(Path(rel).stem, root / rel, root / _mask_for(rel)))
    return found


def locate(data_dir=None, download_missing: bool = True, progress: bool = True) -> Path:
    """Where the verified data is, downloading it into the cache if it is nowhere."""
    for folder in candidate_dirs(NAME, data_dir):
        root = find_root(folder) if folder.is_dir() else None
        if root is not None:
            verify(root)
            return root
    if data_dir is not None or not download_missing:
        where = data_dir or cache_root() / NAME
        raise SkinsegError(
            f"Pratheepan not found in {where}; unpack the archive from {HOME_PAGE} there, or run "
            "'skinseg datasets fetch pratheepan'"
        )
    return fetch(progress=progress)


def load_pratheepan(data_dir=None, scheme="seed", subset=None, ratios=(0.6, 0.2, 0.2), seed=0,
                    download=True, **_) -> Dataset:
    root = locate(data_dir, download_missing=download)
    pairs = samples(root, subset)
    if scheme == "seed":
        by_image = {str(s.image.relative_to(root)).replace(os.sep, "/"): s for s in pairs}
        splits: dict[str, list[Sample]] = {"train": [], "val": [], "test": []}
        for rel, (split, _subset) in seed_split().items():
            if rel in by_image:
                splits[split].append(by_image[rel])
    elif scheme == "random":
        splits = random_split(pairs, tuple(ratios), seed)
    else:
        raise SkinsegError(f"unknown split {scheme!r} for pratheepan; available: seed, random")
    return Dataset(name=NAME, root=root, splits=splits, scheme=scheme)


@hookimpl
def register_datasets(register):
    register(NAME, load_pratheepan, "Pratheepan face and family photos, 78 pairs (default)")
