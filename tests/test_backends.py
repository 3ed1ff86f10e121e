"""One model definition trains on every Keras backend; a .keras file from any of them exports to TFLite."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import PRATHEEPAN, REPO, run_cli

PHOTOS = sorted((PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto").glob("*.jpg"))[:4]

PROBABILITIES = """
import sys
import numpy as np
from skinseg.runtime import Segmenter
seg = Segmenter(sys.argv[1])
np.savez(sys.argv[2], *[seg.model_probability(p) for p in sys.argv[3:]])  # at the model's size: float, unrounded
import keras
print(keras.backend.backend())
"""


def _probabilities(model, out, backend):
    env = {**__import__("os").environ, "KERAS_BACKEND": backend}
    result = subprocess.run([sys.executable, "-c", PROBABILITIES, str(model), str(out), *map(str, PHOTOS)],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == backend
    with np.load(out) as saved:
        return [saved[f"arr_{i}"] for i in range(len(PHOTOS))]


@pytest.mark.parametrize("backend", [  # both slow: 1.5-3 minutes each of real training on 2 cores
    pytest.param("jax", marks=pytest.mark.slow),
    pytest.param("torch", marks=pytest.mark.slow),
])
def test_train_on_backend_then_export_int8_with_parity(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install 'skinseg[{backend}]')")
    run = tmp_path / "run"
    trained = run_cli("train", "--backend", backend, "--arch", "edge-unet", "--width", "0.5", "--img-size", "64",
                      "--epochs", "1", "--batch-size", "8", "--limit", "16", "--data-dir", PRATHEEPAN,
                      "--out", run, "--quiet")
    assert trained.returncode == 0, trained.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["versions"]["backend"] == backend

    env = {"SKINSEG_DATA": str(PRATHEEPAN.parent)}
    for options in ([], ["--quantize", "int8", "--calib-samples", "16"]):
        exported = run_cli("export", "-m", run / "best.keras", "--format", "tflite", *options, env_extra=env)
        assert exported.returncode == 0, exported.stderr

    original = _probabilities(run / "best.keras", tmp_path / "orig.npz", backend)
    float_tflite = _probabilities(run / "best.tflite", tmp_path / "f32.npz", "tensorflow")
    for a, b in zip(original, float_tflite):
        assert np.abs(a - b).max() < 1e-3  # the same function, computed by two frameworks

    # The int8 twin keeps the original's accuracy within verify's default parity bound.
    verified = run_cli("verify", "--reference", run / "best.keras", "--candidate", run / "best_int8.tflite",
                       "--data-dir", PRATHEEPAN, "--max-iou-drop", "0.01", "--json", tmp_path / "v.json", "--quiet")
    report = json.loads((tmp_path / "v.json").read_text())
    assert verified.returncode == 0 and report["passed"], (report["iou_drop"], report["pixel_agreement"])


def test_unknown_or_missing_backend_is_a_clear_error(tmp_path):
    result = run_cli("train", "--backend", "mxnet", "--out", tmp_path / "r")
    assert result.returncode == 2 and "mxnet" in result.stderr  # click rejects the choice
