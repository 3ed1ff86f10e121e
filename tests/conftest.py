"""Shared fixtures: the real datasets in ../shared, an isolated cache, and one tiny trained run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
PRATHEEPAN = SHARED / "pratheepan"
SKINSEG = [sys.executable, "-m", "skinseg"]


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    """Every test gets its own cache, no SKINSEG_DATA, and only the built-in plugins."""
    from skinseg import plugins

    monkeypatch.setenv("SKINSEG_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("SKINSEG_DATA", raising=False)
    monkeypatch.setenv("SKINSEG_LOAD_PLUGINS", "")
    plugins.reset()
    yield
    plugins.reset()


def run_cli(*args, env_extra=None, check=False, timeout=600):
    """Run the real ``skinseg`` command in a subprocess and return the CompletedProcess."""
    env = {**os.environ, "SKINSEG_LOAD_PLUGINS": os.environ.get("SKINSEG_LOAD_PLUGINS", ""), **(env_extra or {})}
    result = subprocess.run([*SKINSEG, *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"skinseg {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A tiny SegNet trained for 2 epochs on 6 real Pratheepan images (seconds, not minutes)."""
    from skinseg.training import TrainConfig, train

    out = tmp_path_factory.mktemp("runs") / "tiny"
    os.environ["SKINSEG_LOAD_PLUGINS"] = ""
    config = TrainConfig(out=str(out), data_dir=str(PRATHEEPAN), width=0.125, img_size=64, epochs=2,
                         batch_size=3, limit=6, seed=1)
    train(config, verbose=0)
    return out


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@pytest.fixture(scope="session")
def exported(tiny_run, tmp_path_factory):
    """The tiny run exported once to every TFLite precision and to SavedModel."""
    from skinseg.export import export_model

    out = tmp_path_factory.mktemp("exported")
    os.environ["SKINSEG_LOAD_PLUGINS"] = ""
    files = {}
    for quantize in ("none", "float16", "dynamic", "int8"):
        options = {"calib_samples": 8, "calib_data_dir": str(PRATHEEPAN)} if quantize == "int8" else {}
        files[quantize] = export_model(tiny_run / "best.keras", "tflite", out / f"tiny_{quantize}.tflite",
                                       quantize=quantize, **options).path
    files["savedmodel"] = export_model(tiny_run / "best.keras", "savedmodel", out / "tiny_saved_model").path
    return files
