"""Training on real Pratheepan images: run folder, resume, no silent overwrite, repeatability."""

import csv
import json

import pytest

from skinseg import SkinsegError
from skinseg.keras_io import load_keras_model
from skinseg.training import TrainConfig, train

from conftest import PRATHEEPAN, last_line, run_cli


def _config(out, **kw):
    base = dict(out=str(out), data_dir=str(PRATHEEPAN), width=0.125, img_size=32, epochs=1, batch_size=4,
                limit=4, seed=3)
    return TrainConfig(**{**base, **kw})


def _rows(run):
    with open(run / "metrics.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_run_folder_holds_everything(tiny_run):
    for name in ("best.keras", "last.keras", "config.json", "metrics.csv", "curves.png", "state.json"):
        assert (tiny_run / name).stat().st_size > 0, name
    config = json.loads((tiny_run / "config.json").read_text())
    assert config["config"]["arch"] == "segnet" and config["samples"] == {"train": 6, "val": 6}
    rows = _rows(tiny_run)
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert {"loss", "iou", "val_iou", "val_loss", "lr"} <= set(rows[0])
    assert (tiny_run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_continues_from_last_epoch(tmp_path):
    from skinseg.keras_io import load_keras_model
    from skinseg.losses import BceLovaszLoss

    run = tmp_path / "run"
    train(_config(run, epochs=1, loss="bce-lovasz"), verbose=0)
    first = _rows(run)
    result = train(_config(run, epochs=2), resume=True, verbose=0)
    rows = _rows(run)
    assert result.epochs_done == 2 and [r["epoch"] for r in rows] == ["1", "2"]
    assert rows[0] == first[0]  # the finished epoch is kept, not retrained
    # The run's own loss goes on, whatever the resuming call's default.
    assert json.loads((run / "config.json").read_text())["config"]["loss"] == "bce-lovasz"
    assert isinstance(load_keras_model(run / "last.keras", compile=True).loss, BceLovaszLoss)
    assert json.loads((run / "state.json").read_text())["finished"] is True


def test_existing_run_is_not_overwritten_without_force(tmp_path):
    run = tmp_path / "run"
    train(_config(run), verbose=0)
    before = (run / "best.keras").read_bytes()
    with pytest.raises(SkinsegError, match="already exists; use --resume to continue it or --force"):
        train(_config(run), verbose=0)
    assert (run / "best.keras").read_bytes() == before
    train(_config(run, seed=4), force=True, verbose=0)
    assert (run / "best.keras").read_bytes() != before
    # An unknown loss or precision is refused before --force clears the finished run.
    after = (run / "best.keras").read_bytes()
    for bad, message in ((dict(loss="dice"), "unknown loss 'dice'; available: bce-dice, bce-lovasz"),
                         (dict(precision="bf16"), "unknown precision 'bf16'; available: float32, mixed")):
        with pytest.raises(SkinsegError, match=message):
            train(_config(run, **bad), force=True, verbose=0)
        assert (run / "best.keras").read_bytes() == after


def test_same_seed_repeats_the_run(tmp_path):
    a = train(_config(tmp_path / "a", epochs=2), verbose=0)
    b = train(_config(tmp_path / "b", epochs=2), verbose=0)
    rows_a, rows_b = _rows(a.run_dir), _rows(b.run_dir)
    for ra, rb in zip(rows_a, rows_b):
        assert float(ra["loss"]) == pytest.approx(float(rb["loss"]), rel=1e-4)
        assert float(ra["val_loss"]) == pytest.approx(float(rb["val_loss"]), rel=1e-4)


def test_cli_errors_are_one_line(tmp_path):
    result = run_cli("train", "--data-dir", PRATHEEPAN, "--arch", "resnet9000", "--out", tmp_path / "r")
    assert result.returncode == 1
    assert last_line(result.stderr) == "Error: unknown architecture 'resnet9000'; available: edge-unet, mobilenet-unet, segnet"
    assert "Traceback" not in result.stderr
    nothing = run_cli("train", "--resume", "--out", tmp_path / "empty")
    assert nothing.returncode == 1 and "nothing to resume" in last_line(nothing.stderr)
    for args, error in ((["--arch-option", "upsample"], "--arch-option takes KEY=VALUE, got 'upsample'"),
                        (["--arch", "segnet", "--arch-option", "upsample=resize"],
                         "segnet does not take --arch-option upsample; 'skinseg plugins' lists each architecture's "
                         "options"),
                        (["--no-augment", "--mosaic", "0.5"],
                         "--mosaic needs augmentation; drop --no-augment or leave out --mosaic"),
                        (["--no-augment", "--exposure", "1", "--grayscale", "0.1"],
                         "--exposure and --grayscale need augmentation; drop --no-augment or leave out "
                         "--exposure and --grayscale")):
        refused = run_cli("train", "--data-dir", PRATHEEPAN, *args, "--out", tmp_path / "o")
        assert refused.returncode == 1 and last_line(refused.stderr) == f"Error: {error}"
        assert not (tmp_path / "o").exists()
    share = run_cli("train", "--mosaic", "1.5", "--out", tmp_path / "o")
    assert share.returncode == 2 and "'--mosaic': 1.5 is not in the range 0.0<=x<=1.0" in last_line(share.stderr)
    stops = run_cli("train", "--exposure", "4", "--out", tmp_path / "o")
    assert stops.returncode == 2 and "'--exposure': 4.0 is not in the range 0.0<=x<=3.0" in last_line(stops.stderr)
    assert not (tmp_path / "o").exists()


def test_several_datasets_with_oversampling(tmp_path):
    from conftest import SHARED

    config = _config(tmp_path / "multi", datasets=[f"pratheepan={PRATHEEPAN}", f"folder={SHARED / 'abdomen'}"],
                     limit=2, oversample={"pratheepan": 3}, arch="edge-unet", arch_options={"upsample": "resize"})
    result = train(config, verbose=0)
    assert (result.train_samples, result.val_samples) == (2 * 3 + 2, 2 + 2)
    saved = json.loads((result.run_dir / "config.json").read_text())["config"]
    assert saved["arch_options"] == {"upsample": "resize"}
    layers = {type(layer).__name__ for layer in load_keras_model(result.run_dir / "best.keras").layers}
    assert "UpSampling2D" in layers and "Conv2DTranspose" not in layers


@pytest.mark.slow  # about 2 minutes of real training steps
def test_batch_size_auto_probes_real_steps(tmp_path):
    result = run_cli("train", "--data-dir", PRATHEEPAN, "--arch", "edge-unet", "--width", "0.25", "--img-size", "32",
                     "--epochs", "1", "--limit", "8", "--batch-size", "auto", "--quiet", "--out", tmp_path / "r")
    assert result.returncode == 0, result.stderr
    chosen = json.loads((tmp_path / "r" / "config.json").read_text())["config"]["batch_size"]
    assert chosen == 8  # on the CPU every power of two up to the 8 training images fits
    bad = run_cli("train", "--batch-size", "lots", "--out", tmp_path / "x")
    assert bad.returncode == 1 and "--batch-size takes a positive whole number or 'auto'" in last_line(bad.stderr)


def test_fraction_oversampling_and_selecting_on_one_dataset(tmp_path):
    from conftest import SHARED

    config = _config(tmp_path / "sel", datasets=[f"pratheepan={PRATHEEPAN}", f"folder={SHARED / 'abdomen'}"],
                     oversample={"folder": 0.5}, select_on=["pratheepan"], arch="edge-unet")
    result = train(config, verbose=0)
    assert (result.train_samples, result.val_samples) == (4 + 2, 4)
    with pytest.raises(SkinsegError, match="--select-on sfa: not among the training datasets"):
        train(_config(tmp_path / "bad", select_on=["sfa"]), verbose=0)
    with pytest.raises(SkinsegError, match="--train-on-val sfa: not among the training datasets"):
        train(_config(tmp_path / "bad", train_on_val=["sfa"]), verbose=0)
    for bad in ("nan", "inf", "0", "x"):
        refused = run_cli("train", "--oversample", f"pratheepan={bad}", "--out", tmp_path / "o")
        assert refused.returncode == 1
        assert last_line(refused.stderr) == f"Error: --oversample takes NAME=K with K a positive number, got 'pratheepan={bad}'"


def test_fine_tuning_starts_from_the_given_weights(tiny_run, tmp_path):
    import numpy as np

    from skinseg.architectures import create_model
    from skinseg.keras_io import load_keras_model
    from skinseg.training import _load_initial_weights

    source = load_keras_model(tiny_run / "best.keras")
    config = json.loads((tiny_run / "config.json").read_text())["config"]
    fresh = create_model("segnet", img_size=config["img_size"], width=config["width"])
    _load_initial_weights(fresh, str(tiny_run / "best.keras"), "segnet")
    for a, b in zip(source.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)

    result = run_cli("train", "--data-dir", PRATHEEPAN, "--width", str(config["width"]), "--img-size",
                     str(config["img_size"]), "--epochs", "1", "--limit", "4", "--batch-size", "4", "--quiet",
                     "--init", tiny_run / "best.keras", "--min-scale", "1.0", "--mosaic", "0.5",
                     "--exposure", "1", "--white-balance", "0.5", "--grayscale", "0.1", "--out", tmp_path / "ft")
    assert result.returncode == 0, result.stderr
    recorded = json.loads((tmp_path / "ft" / "config.json").read_text())["config"]
    assert recorded["init"] == str(tiny_run / "best.keras") and (recorded["min_scale"], recorded["mosaic"]) == (1.0, 0.5)
    assert (recorded["exposure"], recorded["white_balance"], recorded["grayscale"]) == (1.0, 0.5, 0.1)
    wrong = run_cli("train", "--data-dir", PRATHEEPAN, "--width", "0.5", "--img-size", str(config["img_size"]),
                    "--epochs", "1", "--limit", "4", "--init", tiny_run / "best.keras", "--out", tmp_path / "w")
    assert wrong.returncode == 1
    assert "its layers do not match --arch segnet at this --width/--img-size" in last_line(wrong.stderr)
    # A --init that names no model fails before --force clears the finished run folder.
    missing = run_cli("train", "--data-dir", PRATHEEPAN, "--init", tmp_path / "nope.keras", "--force",
                      "--out", tmp_path / "ft")
    assert missing.returncode == 1 and "nope.keras: model not found" in last_line(missing.stderr)
    assert (tmp_path / "ft" / "best.keras").exists()
    # So does an input size the architecture cannot take: the model is built before the folder is touched.
    odd = run_cli("train", "--data-dir", PRATHEEPAN, "--img-size", "40", "--force", "--out", tmp_path / "ft")
    assert odd.returncode == 1 and "needs --img-size divisible by 16" in last_line(odd.stderr)
    assert (tmp_path / "ft" / "best.keras").exists()


def test_a_refit_trains_on_a_validation_split_and_selects_on_another(tmp_path):
    from conftest import SHARED

    datasets = [f"pratheepan={PRATHEEPAN}", f"folder={SHARED / 'abdomen'}"]
    config = _config(tmp_path / "refit", datasets=datasets, oversample={"pratheepan": 2},
                     train_on_val=["pratheepan"], arch="edge-unet")
    result = train(config, verbose=0)
    # Pratheepan's 4 training and 4 validation photos, twice, and abdomen's 4 training photos; only
    # abdomen's validation photos pick best.keras.
    assert (result.train_samples, result.val_samples) == ((4 + 4) * 2 + 4, 4)
    saved = json.loads((result.run_dir / "config.json").read_text())["config"]
    assert saved["train_on_val"] == ["pratheepan"]
    both = run_cli("train", "--dataset", f"pratheepan={PRATHEEPAN}", "--train-on-val", "pratheepan",
                   "--select-on", "pratheepan", "--out", tmp_path / "o")
    assert both.returncode == 1 and last_line(both.stderr) == (
        "Error: --select-on and --train-on-val both name pratheepan; select on another dataset's validation split")
    alone = run_cli("train", "--dataset", f"pratheepan={PRATHEEPAN}", "--train-on-val", "pratheepan",
                    "--out", tmp_path / "o")
    assert alone.returncode == 1 and "leaves no validation split to pick best.keras" in last_line(alone.stderr)
    assert not (tmp_path / "o").exists()


def test_ema_validates_and_saves_the_average_and_resumes(tmp_path):
    import numpy as np

    from skinseg.datasets import load_dataset
    from skinseg.pipeline import load_arrays, make_dataset

    plain = train(_config(tmp_path / "plain", epochs=2, batch_size=2, limit=8), verbose=0)
    averaged = train(_config(tmp_path / "ema", epochs=2, batch_size=2, limit=8, ema=0.5), verbose=0)
    raw = load_keras_model(plain.run_dir / "last.keras").get_weights()
    model = load_keras_model(averaged.run_dir / "last.keras", compile=True)
    # The same seed takes the same raw steps, so the saved weights differ only by the averaging.
    assert max(float(np.abs(a - b).max()) for a, b in zip(raw, model.get_weights())) > 1e-6
    # What was saved is what was validated: the file's loss on the validation split is the logged one.
    val = load_dataset("pratheepan", str(PRATHEEPAN)).splits["val"][:8]
    x, y = load_arrays(val, 32)
    logged = float(_rows(averaged.run_dir)[-1]["val_loss"])
    assert model.evaluate(make_dataset(x, y, 2), verbose=0, return_dict=True)["loss"] == pytest.approx(logged, rel=1e-4)
    assert logged != pytest.approx(float(_rows(plain.run_dir)[-1]["val_loss"]), rel=1e-6)

    with pytest.raises(SkinsegError, match="--ema 1.0: give the average's momentum"):
        train(_config(tmp_path / "bad", ema=1.0), verbose=0)
    refused = run_cli("train", "--ema", "1", "--out", tmp_path / "o")
    assert refused.returncode == 2 and "--ema" in refused.stderr and not (tmp_path / "o").exists()


def test_weight_decay_reaches_the_optimizer_and_shrinks_the_weights(tmp_path):
    import numpy as np

    light = train(_config(tmp_path / "light", epochs=2), verbose=0)
    heavy = run_cli("train", "--data-dir", PRATHEEPAN, "--width", "0.125", "--img-size", "32", "--epochs", "2",
                    "--batch-size", "4", "--limit", "4", "--seed", "3", "--weight-decay", "0.5", "--quiet",
                    "--out", tmp_path / "heavy", check=True)
    assert "best val iou" in heavy.stdout
    saved = load_keras_model(tmp_path / "heavy" / "last.keras", compile=True)
    assert saved.optimizer.weight_decay == pytest.approx(0.5)
    assert json.loads((tmp_path / "heavy" / "config.json").read_text())["config"]["weight_decay"] == 0.5
    # The same seed draws the same batches and starting kernels; only the decay differs.
    kernels = [(a, b) for a, b in zip(load_keras_model(light.run_dir / "last.keras").trainable_weights,
                                      saved.trainable_weights) if "kernel" in a.path]
    assert kernels and all(np.linalg.norm(b.numpy()) < np.linalg.norm(a.numpy()) for a, b in kernels)

    with pytest.raises(SkinsegError, match="--weight-decay -0.1: give AdamW's decay"):
        train(_config(tmp_path / "bad", weight_decay=-0.1), verbose=0)
    refused = run_cli("train", "--weight-decay", "1", "--out", tmp_path / "o")
    assert refused.returncode == 2 and "--weight-decay" in refused.stderr and not (tmp_path / "o").exists()


def test_an_interrupted_run_resumes_to_the_weights_it_would_have_had(tmp_path, monkeypatch):
    import numpy as np

    from skinseg import training

    def interrupted_after_epoch_one(out, is_chief, **options):
        callback = real(out, is_chief, **options)
        saved = callback.on_epoch_end

        def on_epoch_end(epoch, logs=None):
            saved(epoch, logs)  # epoch 1 is in the run folder, as after a Ctrl-C or a lost machine
            if epoch == 0:
                raise KeyboardInterrupt
        callback.on_epoch_end = on_epoch_end
        return callback

    # Mosaics and the moving average: every random stream of the pipeline, and the swapped weights.
    options = dict(epochs=3, batch_size=2, limit=8, mosaic=0.5, ema=0.5)
    whole = train(_config(tmp_path / "whole", **options), verbose=0)
    real = training._run_folder_callback
    monkeypatch.setattr(training, "_run_folder_callback", interrupted_after_epoch_one)
    with pytest.raises(KeyboardInterrupt):
        train(_config(tmp_path / "cut", **options), verbose=0)
    monkeypatch.setattr(training, "_run_folder_callback", real)
    assert json.loads((tmp_path / "cut" / "state.json").read_text())["epochs_done"] == 1
    resumed = train(_config(tmp_path / "cut"), resume=True, verbose=0)
    assert resumed.epochs_done == 3 and _rows(tmp_path / "cut") == _rows(whole.run_dir)
    for name in ("last.keras", "best.keras"):
        a = load_keras_model(whole.run_dir / name).get_weights()
        b = load_keras_model(tmp_path / "cut" / name).get_weights()
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)), name


def test_selecting_on_each_photos_miou2_picks_the_epoch_that_scores_best_per_photo(tmp_path):
    import numpy as np

    from skinseg.metrics import confusion, summarise
    from skinseg.pipeline import load_arrays
    from skinseg.training import _train_and_val_samples

    config = _config(tmp_path / "run", epochs=4, limit=6, select_metric="image-miou2")
    result = train(config, verbose=0)
    scores = [float(r["val_image_miou2"]) for r in _rows(result.run_dir)]
    assert result.select_metric == "image-miou2" and result.best_epoch == 1 + int(np.argmax(scores))
    assert result.best_score == max(scores) == json.loads((result.run_dir / "state.json").read_text())[
        "best_val_image_miou2"]
    # Scored again the way `skinseg evaluate` summarises photos, best.keras gives the logged number.
    _, val = _train_and_val_samples(config)
    images, masks = load_arrays(val, config.img_size)
    skin = load_keras_model(result.run_dir / "best.keras").predict(images.astype("float32"), verbose=0)[..., 0] >= 0.5
    again = summarise([s.image.name for s in val], [confusion(p, m[..., 0] > 0) for p, m in zip(skin, masks)])
    assert again["per_image_mean"]["miou2"] == pytest.approx(result.best_score, abs=1e-6)
    assert len(val) == 6

    with pytest.raises(SkinsegError, match="unknown --select-metric 'dice'; available: iou, image-miou2"):
        train(_config(tmp_path / "bad", select_metric="dice"), verbose=0)
    refused = run_cli("train", "--select-metric", "dice", "--out", tmp_path / "o")
    assert refused.returncode == 2 and "--select-metric" in refused.stderr and not (tmp_path / "o").exists()


def test_aspect_is_checked_before_the_run_folder_is_touched(tmp_path):
    with pytest.raises(SkinsegError, match="--aspect 0.5: give the largest change"):
        train(_config(tmp_path / "a", aspect=0.5), verbose=0)
    with pytest.raises(SkinsegError, match="--aspect needs augmentation; drop --no-augment or leave out --aspect"):
        train(_config(tmp_path / "b", aspect=1.5, augment=False), verbose=0)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
