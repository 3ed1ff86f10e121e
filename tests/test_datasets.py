"""The real loaders on the real shared data, safe extraction, verified downloads."""

import functools
import http.server
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from skinseg import SkinsegError
from skinseg.datasets import load_dataset, pratheepan
from skinseg.datasets.archives import safe_extract
from skinseg.images import read_image, read_mask

from conftest import PRATHEEPAN, SHARED, run_cli


def test_seed_split_is_47_16_15_on_the_real_data():
    ds = load_dataset("pratheepan", PRATHEEPAN)
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 47, "val": 16, "test": 15}
    test_names = {s.name for s in ds.split("test")}
    assert {"amida-belly-dancer", "buck_family", "abbasprize"} <= test_names
    assert not test_names & {s.name for s in ds.split("train")}
    assert len(ds.split("all")) == 78


def test_every_pair_loads_and_masks_match_images():
    ds = load_dataset("pratheepan", PRATHEEPAN)
    suffixes = set()
    for sample in ds.split("all"):
        image = read_image(sample.image)
        mask = read_mask(sample.mask, expected_size=(image.shape[1], image.shape[0]))
        assert 0.0 < mask.mean() < 1.0, sample.name
        suffixes.add(sample.image.suffix)
    assert suffixes == {".jpg", ".jpeg", ".JPG"}


def test_subsets_and_random_split():
    face = load_dataset("pratheepan", PRATHEEPAN, subset="face", scheme="random", ratios=(0.5, 0.25, 0.25), seed=3)
    assert sum(len(v) for v in face.splits.values()) == 32
    assert len(face.split("train")) == 16
    again = load_dataset("pratheepan", PRATHEEPAN, subset="face", scheme="random", ratios=(0.5, 0.25, 0.25), seed=3)
    assert [s.name for s in again.split("test")] == [s.name for s in face.split("test")]
    family = load_dataset("pratheepan", PRATHEEPAN, subset="family")
    assert len(family.split("all")) == 46


def test_data_found_through_skinseg_data(monkeypatch):
    monkeypatch.setenv("SKINSEG_DATA", str(SHARED))
    assert load_dataset("pratheepan").root == PRATHEEPAN


def test_unknown_names_list_what_is_available():
    with pytest.raises(SkinsegError, match="unknown dataset 'nope'; available: folder, pratheepan"):
        load_dataset("nope")
    with pytest.raises(SkinsegError, match="no split 'tset'"):
        load_dataset("pratheepan", PRATHEEPAN).split("tset")
    with pytest.raises(SkinsegError, match="available: face, family"):
        load_dataset("pratheepan", PRATHEEPAN, subset="faces")


def test_folder_dataset_reads_abdomen_manifest():
    ds = load_dataset("folder", SHARED / "abdomen")
    assert (len(ds.split("train")), len(ds.split("val"))) == (500, 121)
    sample = ds.split("val")[0]
    image = read_image(sample.image)
    assert image.shape == (227, 227, 3)
    read_mask(sample.mask, expected_size=(227, 227))


def _small_folder(tmp_path, n=5):
    src = SHARED / "abdomen"
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    for path in sorted((src / "images").iterdir())[:n]:
        shutil.copy(path, tmp_path / "images" / path.name)
        shutil.copy(src / "masks" / f"{path.stem}.png", tmp_path / "masks" / f"{path.stem}.png")
    return tmp_path


def test_folder_without_manifest_splits_at_random(tmp_path):
    ds = load_dataset("folder", _small_folder(tmp_path, 10), ratios=(0.6, 0.2, 0.2))
    assert ds.scheme == "random" and [len(ds.split(s)) for s in ("train", "val", "test")] == [6, 2, 2]


def test_missing_mask_is_an_error_naming_the_image(tmp_path):
    folder = _small_folder(tmp_path)
    victim = sorted((folder / "masks").iterdir())[0]
    victim.unlink()
    with pytest.raises(SkinsegError, match=f"{victim.stem}.*no mask"):
        load_dataset("folder", folder)


def _copy_pratheepan(dest: Path) -> Path:
    for part in ("Pratheepan_Dataset", "Ground_Truth"):
        shutil.copytree(PRATHEEPAN / part, dest / part)
    return dest


def _zip_of(folder: Path, archive: Path, prefix: str = "Face_Dataset/") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + str(path.relative_to(folder)))
    return archive


def test_altered_copy_is_refused(tmp_path):
    copy = _copy_pratheepan(tmp_path / "copy")
    mask = copy / "Ground_Truth" / "GroundT_FamilyPhoto" / "obama.png"
    mask.write_bytes(mask.read_bytes() + b"\x00")
    with pytest.raises(SkinsegError, match="1 altered, e.g. Ground_Truth/GroundT_FamilyPhoto/obama.png"):
        load_dataset("pratheepan", copy)


def test_fetch_from_zip_verifies_and_caches(tmp_path):
    archive = _zip_of(_copy_pratheepan(tmp_path / "src"), tmp_path / "Face_Dataset.zip")
    dest = pratheepan.import_copy(archive)
    assert dest == pratheepan.cache_root() / "pratheepan"
    assert len(load_dataset("pratheepan").split("test")) == 15  # found in the cache
    with pytest.raises(SkinsegError, match="already holds Pratheepan; add --force"):
        pratheepan.import_copy(archive)


def test_fetch_into_a_users_folder_keeps_everything_it_did_not_make(tmp_path):
    # `datasets fetch pratheepan --from good.zip --dest myproject` used to empty myproject first.
    archive = _zip_of(_copy_pratheepan(tmp_path / "src"), tmp_path / "Face_Dataset.zip")
    project = tmp_path / "myproject"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "plan.txt").write_text("mine")
    (project / "train.py").write_text("print('mine')")
    result = run_cli("datasets", "fetch", "pratheepan", "--from", archive, "--dest", project, "--quiet")
    assert result.returncode == 0, result.stderr
    assert (project / "notes" / "plan.txt").read_text() == "mine" and (project / "train.py").exists()
    assert len(load_dataset("pratheepan", project).split("test")) == 15
    # --force replaces the dataset's own two folders, and still nothing else
    again = run_cli("datasets", "fetch", "pratheepan", "--from", archive, "--dest", project, "--force", "--quiet")
    assert again.returncode == 0, again.stderr
    assert (project / "notes" / "plan.txt").read_text() == "mine" and (project / "train.py").exists()
    assert sorted(p.name for p in project.iterdir()) == ["Ground_Truth", "Pratheepan_Dataset", "notes", "train.py"]


def test_extraction_rejects_paths_that_leave_the_target(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr("../escaped.txt", "evil")
    with pytest.raises(SkinsegError, match="outside the target folder"):
        safe_extract(archive, tmp_path / "target")
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "target" / "ok.txt").exists()  # nothing extracted before the check


def test_broken_archive_is_refused_and_leaves_nothing(tmp_path):
    archive = _zip_of(_copy_pratheepan(tmp_path / "src"), tmp_path / "a.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(SkinsegError, match="a.zip"):
        pratheepan.import_copy(archive)
    cache = pratheepan.cache_root()
    assert not (cache / "pratheepan").exists()
    assert not [p for p in cache.iterdir()] if cache.exists() else True


@pytest.fixture
def http_server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_over_http_verifies_every_file(tmp_path, http_server, monkeypatch):
    www, base = http_server
    _zip_of(_copy_pratheepan(tmp_path / "src"), www / "Face_Dataset.zip")
    monkeypatch.setenv("SKINSEG_PRATHEEPAN_URL", f"{base}/Face_Dataset.zip")
    ds = load_dataset("pratheepan")  # not in the cache: downloads, verifies, caches
    assert ds.root == pratheepan.cache_root() / "pratheepan"
    assert len(ds.split("all")) == 78


def test_tampered_download_is_refused(tmp_path, http_server, monkeypatch):
    www, base = http_server
    src = _copy_pratheepan(tmp_path / "src")
    image = src / "Pratheepan_Dataset" / "FacePhoto" / "sarah.jpg"
    data = bytearray(image.read_bytes())
    data[-100] ^= 0xFF
    image.write_bytes(bytes(data))
    _zip_of(src, www / "Face_Dataset.zip")
    monkeypatch.setenv("SKINSEG_PRATHEEPAN_URL", f"{base}/Face_Dataset.zip")
    with pytest.raises(SkinsegError, match="altered, e.g. Pratheepan_Dataset/FacePhoto/sarah.jpg"):
        load_dataset("pratheepan")
    assert not (pratheepan.cache_root() / "pratheepan").exists()


def test_failed_download_says_where_to_put_the_data(http_server, monkeypatch):
    _, base = http_server
    monkeypatch.setenv("SKINSEG_PRATHEEPAN_URL", f"{base}/missing.zip")
    with pytest.raises(SkinsegError) as info:
        load_dataset("pratheepan")
    message = str(info.value)
    assert "download failed" in message and "skinseg datasets fetch pratheepan --from" in message
    assert "\n" not in message


def test_archive_sha256_is_checked_when_given(tmp_path, http_server):
    www, base = http_server
    _zip_of(_copy_pratheepan(tmp_path / "src"), www / "Face_Dataset.zip")
    with pytest.raises(SkinsegError, match="SHA-256"):
        pratheepan.fetch(url=f"{base}/Face_Dataset.zip", sha256="0" * 64, progress=False)
