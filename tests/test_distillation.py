"""Distillation on real photos with real teachers: soft targets, their path through the pipeline,
and a training run that learns from them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import PRATHEEPAN, SHARED, last_line, run_cli

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def samples():
    from skinseg.datasets import load_dataset

    photos = load_dataset("pratheepan", PRATHEEPAN).split("train")[:3]
    return photos + photos[:2] + load_dataset("folder", SHARED / "sfa").split("train")[:2]  # two repeats


def test_teachers_average_their_maps_at_the_original_size(samples, tiny_run):
    from skinseg.distillation import open_teachers, teacher_probabilities
    from skinseg.images import read_image, resize_probability
    from skinseg.runtime import Segmenter

    teachers = ["skinseg-tiny", str(tiny_run / "best.keras")]
    soft = teacher_probabilities(samples, 48, open_teachers(teachers))
    assert soft.shape == (7, 48, 48, 1) and soft.dtype == np.float32
    assert 0.0 <= soft.min() and soft.max() <= 1.0 and 0.0 < soft.mean() < 1.0
    np.testing.assert_array_equal(soft[3], soft[0])  # a repeated photo is segmented once and reused
    np.testing.assert_array_equal(soft[4], soft[1])
    image = read_image(samples[5].image)  # an SFA photo: each teacher runs at its own size
    maps = [Segmenter(t).probability(image) for t in teachers]
    assert maps[0].shape == image.shape[:2] and not np.allclose(maps[0], maps[1], atol=0.05)
    np.testing.assert_allclose(soft[5, ..., 0], resize_probability(np.mean(maps, axis=0), (48, 48)), atol=1e-6)


def test_blended_targets_stay_soft_through_augmentation_and_mosaics(samples):
    from skinseg.distillation import blend_targets, open_teachers, teacher_probabilities
    from skinseg.pipeline import load_arrays, make_dataset

    images, masks = load_arrays(samples, 48)
    soft = teacher_probabilities(samples, 48, open_teachers(["skinseg-tiny"]))
    half = blend_targets(masks, soft, 0.5)
    np.testing.assert_allclose(half, 0.5 * masks + 0.5 * soft, atol=1e-6)
    assert half.dtype == blend_targets(masks, soft, np.float64(0.5)).dtype == np.float32
    np.testing.assert_array_equal(blend_targets(masks, soft, 1.0), soft)
    for mosaic in (0.0, 1.0):
        targets = np.concatenate([y.numpy() for _, y in make_dataset(images, half, 4, augment=True, shuffle=True,
                                                                     mosaic=mosaic)])
        assert targets.shape == (7, 48, 48, 1) and 0.0 <= targets.min() and targets.max() <= 1.0
        fractional = (targets > 0.01) & (targets < 0.99)
        assert fractional.mean() > 0.05, mosaic  # not thresholded back to 0/1
        hard = np.concatenate([y.numpy() for _, y in make_dataset(images, masks, 4, augment=True, mosaic=mosaic)])
        assert set(np.unique(hard)) <= {0.0, 1.0}  # uint8 masks stay binary, as before


def test_training_with_a_teacher_changes_the_targets_and_is_recorded(tmp_path, tiny_run):
    from skinseg.training import TrainConfig, train

    def run(out, **kw):
        config = TrainConfig(out=str(tmp_path / out), data_dir=str(PRATHEEPAN), width=0.125, img_size=32, epochs=1,
                             batch_size=4, limit=4, seed=3, **kw)
        result = train(config, verbose=0)
        return json.loads((result.run_dir / "config.json").read_text())["config"], result

    plain, _ = run("plain")
    taught, result = run("taught", teachers=[str(tiny_run / "best.keras")], distill_weight=0.7)
    assert (taught["teachers"], taught["distill_weight"]) == ([str(tiny_run / "best.keras")], 0.7)
    assert plain["teachers"] == [] and (result.run_dir / "best.keras").exists()
    loss = {name: (tmp_path / name / "metrics.csv").read_text().splitlines()[1] for name in ("plain", "taught")}
    assert loss["plain"] != loss["taught"]  # same seed and data; only the targets differ


def test_bad_teacher_options_fail_before_the_run_folder_is_touched(tmp_path, tiny_run):
    missing = run_cli("train", "--data-dir", PRATHEEPAN, "--teacher", tmp_path / "nope.keras", "--out", tmp_path / "r")
    assert missing.returncode == 1 and "nope.keras: model not found" in last_line(missing.stderr)
    assert not (tmp_path / "r").exists()
    # A broken teacher fails before --force clears a finished run folder.
    import shutil

    finished = shutil.copytree(tiny_run, tmp_path / "finished")
    (tmp_path / "cut.keras").write_bytes((tiny_run / "best.keras").read_bytes()[:1000])
    broken = run_cli("train", "--data-dir", PRATHEEPAN, "--teacher", tmp_path / "cut.keras", "--force",
                     "--out", finished)
    assert broken.returncode == 1 and "cut.keras: not a .keras archive" in last_line(broken.stderr)
    assert sorted(p.name for p in finished.iterdir()) == sorted(p.name for p in tiny_run.iterdir())
    zero = run_cli("train", "--teacher", "skinseg-tiny", "--distill-weight", "0", "--out", tmp_path / "r")
    assert zero.returncode == 2 and "'--distill-weight': 0.0 is not in the range 0.0<x<=1.0" in last_line(zero.stderr)
    from skinseg import SkinsegError
    from skinseg.training import TrainConfig, train

    with pytest.raises(SkinsegError, match="--distill-weight 1.5: give a share above 0 and at most 1"):
        train(TrainConfig(out=str(tmp_path / "r"), data_dir=str(PRATHEEPAN), teachers=["skinseg-tiny"],
                          distill_weight=1.5), verbose=0)
    assert not (tmp_path / "r").exists()


def test_training_iou_reads_soft_targets_as_thresholded_masks():
    import keras

    from skinseg.losses import TargetIoU

    truth = np.array([[0.9, 0.8, 0.3, 0.1]], np.float32).reshape(1, 2, 2, 1)
    predicted = np.array([[0.7, 0.2, 0.6, 0.1]], np.float32).reshape(1, 2, 2, 1)
    hard = (truth > 0.5).astype(np.float32)
    ours, keras_own = TargetIoU(target_class_ids=[1]), keras.metrics.BinaryIoU(target_class_ids=[1])
    ours.update_state(truth, predicted)
    keras_own.update_state(hard, predicted)
    assert float(ours.result()) == pytest.approx(float(keras_own.result())) == pytest.approx(1 / 3)
    truncated = keras.metrics.BinaryIoU(target_class_ids=[1])
    truncated.update_state(truth, predicted)
    assert float(truncated.result()) == 0.0  # why TargetIoU exists: 0.9 counts as background there
