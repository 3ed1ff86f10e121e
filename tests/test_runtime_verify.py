"""The edge runtime, parity verification and the cross-format benchmark, on real images."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from skinseg.runtime import Segmenter, available_runtimes
from skinseg.verification import verify

from conftest import PRATHEEPAN, REPO, last_line, run_cli

FACES = PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto"


def test_segmenter_takes_paths_pil_images_and_arrays_of_any_size(exported):
    seg = Segmenter(exported["int8"], num_threads=2)
    assert seg.runtime == "litert" and seg.settings.threshold == 0.5
    photo = FACES / "sarah.jpg"
    from_path = seg.predict(photo)
    from_pil = seg.predict(Image.open(photo))
    from_array = seg.predict(np.asarray(Image.open(photo)))
    assert from_path.shape == (Image.open(photo).height, Image.open(photo).width)
    assert (from_path == from_pil).all() and (from_path == from_array).all()
    assert seg.predict(np.zeros((7, 900, 3), np.uint8)).shape == (7, 900)


def test_folders_stream_through_predict_many(exported):
    seg = Segmenter(exported["dynamic"])
    results = list(seg.predict_many([FACES]))
    assert len(results) == 32
    assert all(mask.dtype == bool for _, mask in results)


def test_runtimes_are_chosen_by_file_kind(exported, tiny_run):
    assert available_runtimes(exported["int8"])[0] == "litert"
    assert available_runtimes(tiny_run / "best.keras") == ["keras"]
    assert available_runtimes(exported["savedmodel"]) == ["savedmodel"]
    # Every interpreter that is installed gives the same mask for the same file.
    masks = [Segmenter(exported["int8"], runtime=r).predict(FACES / "sarah.jpg") for r in ("litert", "tensorflow")]
    assert (masks[0] == masks[1]).all()


def test_runtime_imports_without_tensorflow(exported, tmp_path):
    """With TensorFlow and Keras made unimportable, the runtime still segments with LiteRT."""
    code = f"""
import sys
sys.modules['tensorflow'] = None
sys.modules['keras'] = None
from skinseg.runtime import Segmenter
mask = Segmenter({str(exported['int8'])!r}).predict({str(FACES / 'sarah.jpg')!r})
assert 'tensorflow' not in sys.modules or sys.modules['tensorflow'] is None
print(int(mask.sum()))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    expected = Segmenter(exported["int8"]).predict(FACES / "sarah.jpg").sum()
    assert int(result.stdout.strip()) == expected


@pytest.mark.parametrize("quantize", ["none", "float16", "int8"])
def test_verify_reports_parity(tiny_run, exported, quantize):
    result = verify(tiny_run / "best.keras", exported[quantize], data_dir=PRATHEEPAN, split="test")
    assert result["images"] == 15 and len(result["per_image"]) == 15
    assert result["reference"]["runtime"] == "keras" and result["candidate"]["runtime"] == "litert"
    drop = result["reference"]["per_image_mean"]["iou"] - result["candidate"]["per_image_mean"]["iou"]
    assert result["iou_drop"] == pytest.approx(drop)
    assert 0.9 <= result["pixel_agreement"] <= 1.0
    if quantize == "none":  # float32 TFLite is the same function as the Keras model
        assert result["pixel_agreement"] > 0.999
    assert result["passed"] == (result["iou_drop"] <= 0.01)
    worst = result["worst"]
    assert [w["agreement"] for w in worst] == sorted(w["agreement"] for w in worst)


def test_verify_cli_exit_code_follows_the_bound(tiny_run, exported, tmp_path):
    ok = run_cli("verify", "--reference", tiny_run / "best.keras", "--candidate", exported["none"],
                 "--data-dir", PRATHEEPAN, "--json", tmp_path / "v.json", "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert "PASSED" in ok.stdout and json.loads((tmp_path / "v.json").read_text())["passed"] is True
    # A bound below any achievable drop must fail, with a one-line reason.
    strict = run_cli("verify", "--reference", tiny_run / "best.keras", "--candidate", exported["none"],
                     "--data-dir", PRATHEEPAN, "--max-iou-drop", "-1", "--quiet")
    assert strict.returncode == 1 and "exceeds --max-iou-drop -1" in last_line(strict.stderr)


def test_benchmark_table_has_a_row_per_format(tiny_run, tmp_path):
    result = run_cli("benchmark", "-m", tiny_run / "best.keras", "--data-dir", PRATHEEPAN, "--out", tmp_path / "b",
                     "--calib-samples", "4", "--threads", "2", "--quiet", "--json",
                     env_extra={"SKINSEG_DATA": str(PRATHEEPAN.parent)})
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    formats = [r["format"] for r in rows]
    assert formats == ["keras", "savedmodel", "tflite", "tflite-float16", "tflite-dynamic", "tflite-int8",
                       "edgetpu-int8"]
    for row in rows:
        assert row["status"] == "ok", row
        assert row["latency_ms_median"] > 0 and row["latency_ms_p90"] >= row["latency_ms_median"]
        assert 0 <= row["iou"] <= 1 and row["size_mb"] > 0
    assert rows[0]["iou_drop"] == 0
    table = (tmp_path / "b" / "benchmark.csv").read_text().splitlines()
    assert table[0].startswith("format,status,size_mb,iou,iou_drop") and len(table) == 8
    again = run_cli("benchmark", "-m", tiny_run / "best.keras", "--data-dir", PRATHEEPAN, "--out", tmp_path / "b")
    assert again.returncode == 1 and "use --force" in last_line(again.stderr)


def test_a_failing_format_is_a_row_not_a_crash(tiny_run, tmp_path, monkeypatch):
    from skinseg import benchmark as bench
    from skinseg.export import get_format

    # Calibration with an empty set fails for the int8 formats only; the others still run.
    rows = bench.benchmark(tiny_run / "best.keras", tmp_path / "b", data_dir=PRATHEEPAN, formats=["tflite"],
                           calib_samples=0)
    status = {r["format"]: r["status"] for r in rows}
    assert status["tflite"] == "ok" and status["tflite-int8"].startswith("error: empty calibration set")
    assert get_format("tflite").name == "tflite"
