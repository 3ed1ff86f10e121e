"""The models shipped inside the package: listed, usable with no -m, and without TensorFlow."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skinseg.models import resolve_model, shipped_models
from skinseg.tflite_file import operators, read_metadata

from conftest import PRATHEEPAN, REPO, SHARED, run_cli

PHOTO = PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto" / "family.jpg"
PAIRS = {"skinseg-lite": 256, "skinseg-tiny": 256, "skinseg-mobile": 256, "skinseg-mobile-384": 384,
         "skinseg-lite-camera": 256}  # float model name -> input size


def test_models_lists_the_shipped_pairs_with_their_settings_and_scores():
    result = run_cli("models", "--json", check=True)
    listed = json.loads(result.stdout)
    assert set(listed) == {name + suffix for name in PAIRS for suffix in ("", "-int8")}
    assert listed["skinseg-lite-int8"]["format"] == "tflite-int8"
    for name in PAIRS:  # every int8 twin is scored on the suite and on Pratheepan test, as it runs today
        metrics = listed[f"{name}-int8"]["metrics"]
        assert set(metrics["suite"]) == {"macro", "pratheepan", "sfa", "abdomen", "ccp", "hgr"}
        assert 0.5 < metrics["suite"]["macro"]["f1"] <= 1 and 0.5 < metrics["pratheepan_test"]["f1"] <= 1
        assert listed[f"{name}-int8"]["settings"] == listed[name]["settings"]  # a pair runs alike
        assert "inference" not in listed[name]  # the catalogue never says how a model runs
    table = run_cli("models", check=True).stdout
    default = next(line for line in table.splitlines() if line.startswith("skinseg-lite-int8 *"))
    assert f"{listed['skinseg-lite-int8']['metrics']['suite']['macro']['f1']:.3f}" in default


def test_the_default_models_recorded_scores_are_what_it_scores():
    # models.json's numbers are measurements; this reruns the default model's on the real runtime.
    from skinseg.evaluation import evaluate
    from skinseg.validation import validate

    recorded = shipped_models()["skinseg-lite-int8"]["metrics"]
    measured = evaluate("skinseg-lite-int8", data_dir=PRATHEEPAN, split="test")["per_image_mean"]
    suite = validate("skinseg-lite-int8", SHARED, num_threads=2)
    for key in ("miou2", "f1", "iou"):
        assert measured[key] == pytest.approx(recorded["pratheepan_test"][key], abs=1e-6)
        assert suite["macro"][key] == pytest.approx(recorded["suite"]["macro"][key], abs=1e-6)


@pytest.mark.parametrize("name", PAIRS)
def test_int8_twin_is_small_full_integer_and_edge_tpu_ready(name):
    from skinseg.export.edgetpu import edgetpu_report

    path = resolve_model(f"{name}-int8")
    assert path.stat().st_size <= 512 * 1024
    meta = read_metadata(path)
    assert meta["quantization"] == "int8" and meta["input"]["size"] == [PAIRS[name]] * 2
    assert meta["calibration"]["dataset"] == "pratheepan" and meta["calibration"]["split"] == "train"
    assert not any(op["custom"] for op in operators(path))
    assert edgetpu_report(path)["mapped_percent"] == 100.0


def test_predict_with_no_model_uses_the_shipped_int8_model_without_tensorflow(tmp_path):
    code = f"""
import sys
sys.modules['tensorflow'] = None
sys.modules['keras'] = None
from skinseg.cli import main
sys.argv = ['skinseg', 'predict', {str(PHOTO)!r}, '--out', {str(tmp_path / 'out')!r}]
main()
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    mask = np.asarray(Image.open(tmp_path / "out" / "family.png"))
    assert mask.shape == Image.open(PHOTO).size[::-1]
    assert 0.02 < (mask > 127).mean() < 0.8  # it finds skin in a family photo, not nothing or everything


@pytest.mark.parametrize("name", PAIRS)
def test_float_and_int8_shipped_models_agree(name):
    from skinseg.runtime import Segmenter

    float_mask = Segmenter(name).predict(PHOTO)
    int8_mask = Segmenter(f"{name}-int8").predict(PHOTO)
    assert (float_mask == int8_mask).mean() > 0.99
    assert {name, f"{name}-int8"} <= set(shipped_models())
