"""Downloading and unpacking dataset archives safely.

Extraction refuses any member that would land outside the target folder (``../``, absolute
paths, links), and everything is unpacked into a temporary folder first, so a broken archive
leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

from ..errors import SkinsegError


def _check_member(target: Path, name: str, archive: Path) -> Path:
    dest = (target / name).resolve()
    if not dest.is_relative_to(target.resolve()):
        raise SkinsegError(
            f"{archive}: member {name!r} would be written outside the target folder; "
            "refusing to extract a malicious or broken archive"
        )
    return dest


def safe_extract(archive: str | os.PathLike, target: str | os.PathLike, progress: bool = False) -> None:
    """Extract a zip or tar archive into ``target``, rejecting paths that leave it."""
    from tqdm.auto import tqdm

    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                members = zf.infolist()
                for info in members:
                    _check_member(target, info.filename, archive)
                    if (info.external_attr >> 16) & 0o170000 == 0o120000:
                        raise SkinsegError(f"{archive}: member {info.filename!r} is a symbolic link; refusing")
                for info in tqdm(members, desc="extracting", unit="file", disable=not progress):
                    zf.extract(info, target)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                members = tf.getmembers()
                for member in members:
                    _check_member(target, member.name, archive)
                    if not (member.isfile() or member.isdir()):
                        raise SkinsegError(
                            f"{archive}: member {member.name!r} is a link or device; refusing"
                        )
                for member in tqdm(members, desc="extracting", unit="file", disable=not progress):
                    tf.extract(member, target, filter="data")
        else:
            raise SkinsegError(f"{archive}: not a zip or tar archive; download it again")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise SkinsegError(f"{archive}: broken archive ({exc}); download it again") from None


def download(url: str, sha256: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` into a temporary folder with pooch, checking ``sha256`` when given."""
    import pooch

    folder = Path(tempfile.mkdtemp(prefix="skinseg-download-"))
    try:
        path = pooch.retrieve(
            url,
            known_hash=f"sha256:{sha256}" if sha256 else None,
            path=folder,
            fname=Path(url.split("?")[0]).name or "archive",
            progressbar=progress,
        )
    except ValueError as exc:  # pooch's hash mismatch
        shutil.rmtree(folder, ignore_errors=True)
        raise SkinsegError(f"{url}: download does not match its SHA-256 ({exc})") from None
    except Exception as exc:  # network errors come from requests, urllib3, socket...
        shutil.rmtree(folder, ignore_errors=True)
        raise SkinsegError(f"{url}: download failed ({type(exc).__name__}: {exc})") from None
    return Path(path)
