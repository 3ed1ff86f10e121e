"""The release tool, on a temporary copy of the shipped folder: settings go into the files, scores
into the catalogue, and a shipped pair runs with the settings it was shipped with."""

import json
import shutil

import numpy as np
import pytest

from skinseg.keras_io import keras_metadata
from skinseg.models import resolve_model
from skinseg.release import record_metrics, ship, stamp_settings, suite_metrics
from skinseg.runtime import InferenceSettings, Segmenter
from skinseg.tflite_file import read_metadata

from conftest import PRATHEEPAN, SHARED


@pytest.mark.parametrize("name", ["skinseg-tiny", "skinseg-tiny-int8"])
def test_stamping_writes_the_settings_and_keeps_the_model(name, tmp_path):
    source = resolve_model(name)
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    before = Segmenter(copy, threshold=0.4, adapt=True).predict(PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto" / "06Apr03Face.jpg")
    stamp_settings(copy, InferenceSettings(threshold=0.4, adapt=True))
    metadata = keras_metadata(copy) if copy.suffix == ".keras" else read_metadata(copy)
    assert metadata["output"]["threshold"] == 0.4 and metadata["output"]["adapt"] is True
    assert "tiles" not in metadata["output"] and "refine" not in metadata["output"]
    after = Segmenter(copy)
    assert after.settings == InferenceSettings(threshold=0.4, adapt=True)
    np.testing.assert_array_equal(after.predict(PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto" / "06Apr03Face.jpg"), before)


def test_ship_writes_a_pair_that_carries_its_settings_and_a_catalogue_entry(tmp_path, monkeypatch, tiny_run):
    monkeypatch.setenv("SKINSEG_DATA", str(SHARED))
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "models.json").write_text(json.dumps({"other": {"file": "other.keras", "format": "keras"}}))
    keras_path, int8_path = ship(tiny_run / "best.keras", "mine", InferenceSettings(0.45, True),
                                 {"description": "a test model", "recipe": "recipes/none.sh"}, shipped=shipped)
    for path in (keras_path, int8_path):
        assert Segmenter(path).settings == InferenceSettings(0.45, True)
    catalogue = json.loads((shipped / "models.json").read_text())
    assert set(catalogue) == {"other", "mine", "mine-int8"}  # other entries are kept
    assert catalogue["mine-int8"]["format"] == "tflite-int8" and catalogue["mine-int8"]["recipe"] == "recipes/none.sh"
    assert read_metadata(int8_path)["calibration"]["dataset"] == "pratheepan"
    suite = {"macro": {"f1": 0.9, "iou": 0.8, "miou2": 0.85, "latency_ms_median": 3.0},
             "datasets": {"hgr": {"per_image_mean": {"f1": 0.9, "iou": 0.8, "miou2": 0.85, "recall": 1.0}}}}
    record_metrics("mine-int8", {"suite": suite_metrics(suite)}, shipped=shipped)
    recorded = json.loads((shipped / "models.json").read_text())["mine-int8"]["metrics"]["suite"]
    assert recorded == {"macro": {"f1": 0.9, "iou": 0.8, "miou2": 0.85}, "hgr": {"f1": 0.9, "iou": 0.8, "miou2": 0.85}}
