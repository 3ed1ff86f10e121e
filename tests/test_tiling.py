"""Tiled inference: two overlapping halves of a large photo, each at the model's input size."""

import shutil

import numpy as np
import pytest

from skinseg.images import load_image, resize_rgb
from skinseg.runtime import Segmenter
from skinseg.runtime.tiling import tile_spans, tiled_probability, worth_tiling
from skinseg.verification import verify

from conftest import PRATHEEPAN, run_cli

PHOTO = PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto" / "family.jpg"


def photo(width, height):
    return resize_rgb(np.asarray(load_image(PHOTO)), (width, height))


def test_two_tiles_cover_the_long_side_and_overlap():
    (a0, a1), (b0, b1) = tile_spans(640)
    assert (a0, b1) == (0, 640) and a1 - a0 == b1 - b0 == 384
    assert a1 - b0 == 128  # 20% of the side is seen by both


def test_only_photos_whose_tiles_keep_the_input_resolution_are_tiled():
    assert worth_tiling(480, 640, (256, 256)) and worth_tiling(640, 480, (256, 256))
    assert not worth_tiling(256, 256, (256, 256))
    assert not worth_tiling(300, 400, (256, 256))  # a 240-pixel tile would be upsampled
    assert worth_tiling(480, 640, (384, 384)) and not worth_tiling(450, 600, (384, 384))


@pytest.mark.parametrize("size", [(640, 480), (480, 640), (1001, 333)])
def test_a_per_pixel_rule_is_unchanged_by_tiling(size):
    # The merge must put every tile's map back where its pixels came from, in either orientation.
    rgb = photo(*size)
    red = tiled_probability(rgb, lambda crop: crop[..., 0] / np.float32(255))
    np.testing.assert_allclose(red, rgb[..., 0] / 255.0, atol=1e-6)


def count_calls(segmenter):
    calls, run = [], segmenter.model.run
    segmenter.model.run = lambda batch: calls.append(batch.shape) or run(batch)
    return calls


def test_tiled_inference_runs_the_real_model_twice_on_large_photos_only():
    segmenter = Segmenter("skinseg-lite-int8", tiles=True)
    calls = count_calls(segmenter)
    large, small = photo(640, 480), photo(320, 240)
    mask = segmenter.predict(large)
    assert mask.shape == (480, 640) and len(calls) == 2
    assert all(shape == (1, 256, 256, 3) for shape in calls)
    segmenter.predict(small)
    assert len(calls) == 3  # a 192-pixel tile would be upsampled: one call
    single = Segmenter("skinseg-lite-int8", tiles=False).predict(large)
    agreement = np.mean(single == mask)
    assert 0.9 < agreement < 1.0  # the same model at more detail: close, not identical


def test_shipped_models_carry_their_setting_and_other_files_do_not(tmp_path):
    from skinseg.models import resolve_model, shipped_models

    for name, entry in shipped_models().items():  # tiles, refined edges and colour adaptation alike
        segmenter = Segmenter(name)
        assert segmenter.tiles == entry.get("inference", {}).get("tiles", False)
        assert segmenter.refine == entry.get("inference", {}).get("refine", False)
        assert segmenter.adapt == entry.get("inference", {}).get("adapt", False)
    copy = tmp_path / "mine_int8.tflite"
    shutil.copy(resolve_model("skinseg-lite-int8"), copy)
    assert Segmenter(copy).tiles is False and Segmenter(copy, tiles=True).tiles is True
    assert Segmenter(copy).refine is False and Segmenter(copy, refine=True).refine is True
    assert Segmenter(copy).adapt is False and Segmenter(copy, adapt=True).adapt is True


@pytest.mark.parametrize("setting", ["tiles", "refine", "adapt"])
def test_verify_runs_both_models_with_one_setting(tiny_run, exported, setting):
    result = verify(tiny_run / "best.keras", exported["int8"], data_dir=PRATHEEPAN, split="val", **{setting: True})
    assert result[setting] is True and result["images"] == 16


@pytest.mark.parametrize("setting, label", [("tiles", "tiled inference"), ("refine", "refined edges"),
                                            ("adapt", "colour-adapted")])
@pytest.mark.parametrize("on", [True, False])
def test_cli_inference_flags_reach_the_evaluation(tmp_path, setting, label, on):
    import json

    flag = f"--{setting}" if on else f"--no-{setting}"
    result = run_cli("evaluate", "-m", "skinseg-lite-int8", "--data-dir", PRATHEEPAN, "--split", "val",
                     flag, "--quiet", "--json", tmp_path / "e.json", check=True)
    assert json.loads((tmp_path / "e.json").read_text())[setting] is on
    assert (label in result.stdout.splitlines()[0]) is on


def test_an_export_of_a_shipped_model_keeps_its_setting(tmp_path, tiny_run):
    from skinseg.export import export_model
    from skinseg.models import resolve_model, shipped_inference
    from skinseg.tflite_file import read_metadata

    shipped = export_model("skinseg-lite", "tflite", tmp_path / "lite_f16.tflite", quantize="float16").path
    own = export_model(tiny_run / "best.keras", "tflite", tmp_path / "tiny_f16.tflite", quantize="float16").path
    assert read_metadata(shipped)["output"]["tiles"] is True and Segmenter(shipped).tiles is True
    assert read_metadata(own)["output"]["tiles"] is False and Segmenter(own).tiles is False
    refine = shipped_inference(resolve_model("skinseg-lite")).get("refine", False)
    assert read_metadata(shipped)["output"]["refine"] is refine and Segmenter(shipped).refine is refine
    assert read_metadata(own)["output"]["refine"] is False
    adapt = shipped_inference(resolve_model("skinseg-lite")).get("adapt", False)
    assert read_metadata(shipped)["output"]["adapt"] is adapt and Segmenter(shipped).adapt is adapt
    assert read_metadata(own)["output"]["adapt"] is False


def test_calibration_can_add_the_tiles_the_model_is_run_on(tiny_run):
    from skinseg.datasets import load_dataset
    from skinseg.export.tflite import calibration_set
    from skinseg.images import read_image
    from skinseg.runtime import preprocess
    from skinseg.runtime.tiling import tiles_of

    options = {"samples": 6, "dataset": "pratheepan", "data_dir": str(PRATHEEPAN)}
    whole, info = calibration_set(tiny_run / "best.keras", 256, **options)
    both, tiled_info = calibration_set(tiny_run / "best.keras", 256, tiles=True, **options)
    expected_whole, expected_both = [], []
    for sample in load_dataset("pratheepan", PRATHEEPAN).split("train")[:6]:
        rgb = read_image(sample.image)
        expected_whole.append(preprocess(rgb, (256, 256)))
        expected_both.append(expected_whole[-1])
        if worth_tiling(*rgb.shape[:2], (256, 256)):
            expected_both += [preprocess(tile, (256, 256)) for tile in tiles_of(rgb)]
    assert info["samples"] == tiled_info["samples"] == 6 and "tile_views" not in info
    assert 6 < len(both) == len(expected_both) == 6 + tiled_info["tile_views"]
    assert all(np.array_equal(a, b) for a, b in zip(whole, expected_whole, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(both, expected_both, strict=True))


def test_a_tile_calibrated_export_says_so(tiny_run, tmp_path):
    from skinseg.tflite_file import read_metadata

    result = run_cli("export", "-m", tiny_run / "best.keras", "--format", "tflite", "--quantize", "int8",
                     "--calib-samples", "3", "--calib-data-dir", PRATHEEPAN, "--calib-tiles",
                     "--out", tmp_path / "t.tflite", check=True)
    calibration = read_metadata(tmp_path / "t.tflite")["calibration"]
    assert calibration["samples"] == 3 and calibration["tile_views"] == 6  # every photo tiles at 64x64
    assert "calibrated on 3 images of pratheepan/train and 6 of their tiles" in result.stdout
    refused = run_cli("export", "-m", tiny_run / "best.keras", "--format", "tflite", "--quantize", "float16",
                      "--calib-tiles", "--out", tmp_path / "f.tflite")
    assert refused.returncode != 0 and "--calib-tiles only work with --quantize int8" in refused.stderr
