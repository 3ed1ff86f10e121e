"""Inference as a user runs it: settings read from the model file, the fast photo-in/mask-out path,
and the validation suite, on real photos, the shipped int8 file and the real interpreter."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from skinseg import SkinsegError
from skinseg.images import covered_size, read_image, resize_rgb, upsample_levels
from skinseg.models import resolve_model
from skinseg.runtime import InferenceSettings, Segmenter
from skinseg.tflite_file import read_metadata

from conftest import PRATHEEPAN, SHARED, run_cli

PHOTOS = sorted((PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto").glob("*.jpg"))[:6]


def test_a_copy_of_the_shipped_int8_file_gives_the_masks_of_the_shipped_name(tmp_path):
    # The file is the product: a copy, anywhere, under any name, runs with the settings it carries.
    copy = tmp_path / "elsewhere" / "my-model.tflite"
    copy.parent.mkdir()
    shutil.copy(resolve_model("skinseg-lite-int8"), copy)
    shipped, copied = Segmenter("skinseg-lite-int8"), Segmenter(copy)
    assert copied.settings == shipped.settings == InferenceSettings.of(read_metadata(copy))
    for photo in PHOTOS:
        np.testing.assert_array_equal(copied.predict(photo), shipped.predict(photo))


def test_an_explicit_option_overrides_the_files_setting(tmp_path):
    path = resolve_model("skinseg-lite-int8")
    carried = InferenceSettings.of(read_metadata(path))
    other = 0.3 if carried.threshold != 0.3 else 0.7
    seg = Segmenter(path, threshold=other, adapt=not carried.adapt)
    assert seg.settings == InferenceSettings(threshold=other, adapt=not carried.adapt)
    photo = read_image(PHOTOS[0])
    probability = Segmenter(path, adapt=not carried.adapt).probability(photo)
    np.testing.assert_array_equal(seg.predict(photo), probability > other)
    # and through the command line
    for threshold in (0.2, 0.8):
        run_cli("predict", PHOTOS[0], "--out", tmp_path / str(threshold), "--threshold", threshold, "--quiet", check=True)
    low, high = (np.asarray(Image.open(tmp_path / t / f"{PHOTOS[0].stem}.png")) > 127 for t in ("0.2", "0.8"))
    assert low.sum() > high.sum() and not (high & ~low).any()


def test_a_threshold_outside_0_to_1_is_refused():
    with pytest.raises(SkinsegError, match="outside 0..1"):
        Segmenter("skinseg-lite-int8", threshold=1.5)
    assert run_cli("predict", PHOTOS[0], "--out", "unused", "--threshold", "2").returncode == 2


def test_keras_files_carry_settings_and_exports_inherit_them(tmp_path):
    from skinseg.export import export_model
    from skinseg.keras_io import keras_metadata, write_keras_metadata

    source = tmp_path / "model.keras"
    shutil.copy(resolve_model("skinseg-tiny"), source)
    write_keras_metadata(source, {"output": {"threshold": 0.6, "adapt": True}})
    assert keras_metadata(source)["output"] == {"threshold": 0.6, "adapt": True}
    assert Segmenter(source).settings == InferenceSettings(threshold=0.6, adapt=True)
    inherited = export_model(source, "tflite", tmp_path / "inherited.tflite", quantize="float16")
    overridden = export_model(source, "tflite", tmp_path / "overridden.tflite", quantize="float16", threshold=0.4)
    assert Segmenter(inherited.path).settings == InferenceSettings(threshold=0.6, adapt=True)
    assert Segmenter(overridden.path).settings == InferenceSettings(threshold=0.4, adapt=True)
    # an export of a shipped model, by name, carries the shipped file's settings
    shipped = export_model("skinseg-lite", "tflite", tmp_path / "lite.tflite", quantize="float16")
    assert Segmenter(shipped.path).settings == Segmenter("skinseg-lite-int8").settings


@pytest.mark.parametrize("name", ["skinseg-lite", "skinseg-lite-int8"])
def test_the_shipped_default_pair_carries_the_same_settings(name):
    from skinseg.models import model_settings

    assert model_settings(resolve_model(name)) == model_settings(resolve_model("skinseg-lite-int8"))


def test_a_huge_photo_is_box_averaged_first_and_its_mask_stays_aligned():
    # 2501 x 2402: three 2x2 halvings leave 5 columns and 2 rows out of the model's view; the mask
    # still covers the whole photo, and the skin lands where it is.
    photo = read_image(PHOTOS[0])
    big = np.asarray(Image.fromarray(photo).resize((2501, 2402), Image.BILINEAR))
    assert covered_size(2402, 2501, (256, 256)) == (2496, 2400)
    fast = resize_rgb(big, (256, 256)).astype(np.float32)
    covered = np.ascontiguousarray(big[:2400, :2496])
    full = np.asarray(Image.fromarray(covered).resize((256, 256), Image.BILINEAR)).astype(np.float32)
    # Pillow's full filter's view of that region, up to the filter's shape (an 8x8 box, then bilinear
    # over 1.2x, in place of one wide triangle): about one level of 255 on average.
    assert np.abs(fast - full).mean() < 1.5
    seg = Segmenter("skinseg-lite-int8")
    mask = seg.predict(big)
    assert mask.shape == (2402, 2501)
    small_mask = np.asarray(Image.fromarray(seg.predict(photo)).resize((2501, 2402), Image.NEAREST))
    assert (mask == small_mask).mean() > 0.97


def test_levels_threshold_like_the_float_probability():
    # The fast path (8-bit levels, OpenCV) against Pillow's float bilinear resize and > 0.5.
    seg = Segmenter("skinseg-lite-int8")
    for photo in PHOTOS[:3]:
        rgb = read_image(photo)
        small = seg.model_probability(rgb)
        size = (rgb.shape[1], rgb.shape[0])
        reference = np.asarray(Image.fromarray(small).resize(size, Image.BILINEAR)) > seg.settings.threshold
        assert (seg.predict(rgb) == reference).mean() > 0.999
        assert upsample_levels(small, size).shape == rgb.shape[:2]


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 2000, 3), (2000, 3, 3), (17, 23, 3)])
def test_tiny_and_very_wide_photos_give_a_mask_of_their_size(shape):
    rgb = np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8)
    assert Segmenter("skinseg-lite-int8").predict(rgb).shape == shape[:2]


@pytest.fixture(scope="module")
def suite_result():
    from skinseg.validation import validate

    return validate("skinseg-lite-int8", SHARED, num_threads=2)


def test_the_suite_scores_every_datasets_validation_split(suite_result):
    counts = {label: r["images"] for label, r in suite_result["datasets"].items()}
    assert counts == {"pratheepan": 16, "sfa": 111, "abdomen": 121, "ccp": 250, "hgr": 178}
    f1 = [r["per_image_mean"]["f1"] for r in suite_result["datasets"].values()]
    assert suite_result["macro"]["f1"] == pytest.approx(np.mean(f1))
    assert all(0.5 < value <= 1.0 for value in f1)
    for result in suite_result["datasets"].values():
        assert 0 < result["latency_ms"]["median"] <= result["latency_ms"]["p90"]


def test_paired_gain_is_zero_against_itself_and_sees_a_threshold_change(suite_result):
    from skinseg.validation import paired_gain, validate

    same = paired_gain(suite_result, suite_result)
    assert same["macro"]["gain"] == 0 and all(r["up"] == r["down"] == 0 for r in same["datasets"].values())
    strict = validate("skinseg-lite-int8", extra=[str(SHARED / "hgr")], defaults=False, threshold=0.9)
    gain = paired_gain(strict, suite_result)
    assert set(gain["datasets"]) == {"hgr"} and gain["datasets"]["hgr"]["down"] > 0


def test_validate_cli_prints_the_table_and_needs_its_data(tmp_path):
    result = run_cli("validate", "--only-added", "--dataset", SHARED / "hgr", "--json", tmp_path / "v.json",
                     "--quiet", check=True)
    assert "hgr" in result.stdout and "macro mean" in result.stdout and "ms median" in result.stdout
    again = run_cli("validate", "--only-added", "--dataset", SHARED / "hgr", "--against", tmp_path / "v.json",
                    "--quiet", check=True)
    assert "+0.0000 ± 0.0000" in again.stdout
    (tmp_path / "other.json").write_text(json.dumps({"per_image_mean": {}}))
    wrong = run_cli("validate", "--only-added", "--dataset", SHARED / "hgr", "--against", tmp_path / "other.json", "--quiet")
    assert wrong.returncode == 1 and "skinseg validate --json" in wrong.stderr and "Traceback" not in wrong.stderr
    missing = run_cli("validate")
    assert missing.returncode == 1 and "SKINSEG_DATA" in missing.stderr and "Traceback" not in missing.stderr
    json.loads((tmp_path / "v.json").read_text())


def test_one_segmenter_shared_by_four_threads_gives_the_serial_masks():
    # A TFLite interpreter keeps its tensors between calls; shared naively, threads raised
    # "There is at least 1 reference to internal data" or got another photo's mask back.
    from concurrent.futures import ThreadPoolExecutor

    photos = [read_image(p) for p in sorted((PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto").glob("*.jpg"))[:16]]
    seg = Segmenter("skinseg-lite-int8", num_threads=1)
    serial = [seg.predict(photo) for photo in photos]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            for shared, alone in zip(pool.map(seg.predict, photos), serial):
                np.testing.assert_array_equal(shared, alone)
