"""The models shipped inside the package: listed, usable with no -m, and without TensorFlow."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skinseg.models import resolve_model, shipped_models
from skinseg.tflite_file import operators, read_metadata

from conftest import PRATHEEPAN, REPO, run_cli

PHOTO = PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto" / "family.jpg"
PAIRS = {"skinseg-lite": 256, "skinseg-tiny": 256, "skinseg-mobile": 256, "skinseg-mobile-384": 384,
         "skinseg-lite-camera": 256}  # float model name -> input size


def test_models_lists_the_shipped_pair_with_metrics():
    result = run_cli("models", "--json", check=True)
    listed = json.loads(result.stdout)
    assert set(listed) == {name + suffix for name in PAIRS for suffix in ("", "-int8")}
    assert listed["skinseg-lite-int8"]["format"] == "tflite-int8"
    assert 0 < listed["skinseg-lite-int8"]["metrics"]["pratheepan_test"]["miou2"] <= 1
    for name in PAIRS:  # every int8 twin was timed in one run beside the reference (record_latency.py)
        metrics = listed[f"{name}-int8"]["metrics"]
        assert metrics["speedup_vs_reference_float32"] > 1 and metrics["latency_cpu"]
    table = run_cli("models", check=True).stdout
    assert "skinseg-lite-int8" in table and "test mIoU2" in table and "x reference" in table
    assert "tiles+adapt+refine" in next(line for line in table.splitlines() if line.startswith("skinseg-lite-int8 "))
    cpus = {listed[f"{name}-int8"]["metrics"]["latency_cpu"] for name in PAIRS}
    if len(cpus) > 1:  # milliseconds from different CPUs say which CPU
        assert all(f"timed on {cpu}" in table for cpu in cpus)


def test_the_default_models_recorded_test_score_is_what_its_default_inference_scores():
    # models.json's numbers come from benchmark runs; this reruns the default model's, on the real runtime.
    from skinseg.evaluation import evaluate
    from skinseg.models import default_inference_metrics

    _, recorded = default_inference_metrics(shipped_models()["skinseg-lite-int8"])
    measured = evaluate("skinseg-lite-int8", data_dir=PRATHEEPAN, split="test")["per_image_mean"]
    for key in ("miou2", "f1", "iou"):
        assert measured[key] == pytest.approx(recorded["pratheepan_test"][key], abs=1e-6)


def test_the_default_model_hands_black_and_white_photos_to_the_camera_model_which_finds_skin_in_them():
    # skinseg-lite leans on colour; skinseg-lite-camera was fine-tuned with black-and-white photos among
    # its camera changes, and models.json sends such photos to it (docs/model-card.md).
    from skinseg.datasets import load_dataset
    from skinseg.evaluation import read_sample
    from skinseg.metrics import confusion, summarise
    from skinseg.runtime import Segmenter

    samples = load_dataset("pratheepan", PRATHEEPAN).split("val")
    pairs = [read_sample(sample) for sample in samples]
    gray = [np.asarray(Image.fromarray(image).convert("L").convert("RGB")) for image, _ in pairs]
    f1 = {}
    for monochrome in (None, False):
        segmenter = Segmenter("skinseg-lite-int8", monochrome=monochrome)
        confusions = [confusion(segmenter.predict(image), truth) for image, (_, truth) in zip(gray, pairs)]
        f1[monochrome] = summarise([s.name for s in samples], confusions)["per_image_mean"]["f1"]
    assert segmenter.monochrome_model is None
    assert f1[None] > 0.5 and f1[None] > f1[False] + 0.3, f1
    # a colour photo stays with the default model, so its recorded scores hold
    colour = pairs[0][0]
    routed = Segmenter("skinseg-lite-int8")
    assert np.array_equal(routed.predict(colour), Segmenter("skinseg-lite-int8", monochrome=False).predict(colour))
    assert routed.monochrome_model == "skinseg-lite-camera-int8" and routed.monochrome_photos == 0


def test_cli_monochrome_flag_reaches_the_segmenter(tmp_path):
    from skinseg.datasets import load_dataset

    Image.open(PHOTO).convert("L").save(tmp_path / "grey.png")
    for flag in ("--monochrome", "--no-monochrome"):
        run_cli("predict", tmp_path / "grey.png", "--out", tmp_path / flag, flag, "--quiet", check=True)
    routed, kept = (np.asarray(Image.open(tmp_path / flag / "grey.png")) > 127 for flag in ("--monochrome", "--no-monochrome"))
    assert routed.mean() > kept.mean() + 0.1  # the camera model finds the family's skin without colour
    folder = tmp_path / "grey"
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    for sample in load_dataset("pratheepan", PRATHEEPAN).split("val")[:3]:
        Image.open(sample.image).convert("L").save(folder / "images" / f"{sample.name}.png")
        Image.open(sample.mask).save(folder / "masks" / f"{sample.name}.png")
    for flag, routed in (("--monochrome", 3), ("--no-monochrome", 0)):
        result = run_cli("evaluate", "-m", "skinseg-lite-int8", "--dataset", "folder", "--data-dir", folder,
                         "--split", "all", flag, "--quiet", "--json", tmp_path / "e.json", check=True)
        scores = json.loads((tmp_path / "e.json").read_text())
        assert scores["monochrome_photos"] == routed
        assert ("3 black-and-white photos by skinseg-lite-camera-int8" in result.stdout) is bool(routed)


def test_a_model_without_a_black_and_white_twin_says_so_when_asked_for_one():
    from skinseg import SkinsegError
    from skinseg.runtime import Segmenter

    with pytest.raises(SkinsegError, match="names no model for black-and-white photos"):
        Segmenter("skinseg-tiny-int8", monochrome=True)
    with pytest.raises(SkinsegError, match="no-such-model: model not found"):
        Segmenter("skinseg-tiny-int8", monochrome="no-such-model")


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
