"""evaluate and predict through the CLI on real images, with the tiny trained model."""

import json

import numpy as np
import pytest
from PIL import Image

from skinseg.evaluation import evaluate
from skinseg.metrics import METRIC_KEYS

from conftest import PRATHEEPAN, last_line, run_cli

FACES = PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto"


def test_evaluate_json_has_the_documented_keys(tiny_run, tmp_path):
    out = tmp_path / "eval.json"
    result = run_cli("evaluate", "-m", tiny_run / "best.keras", "--data-dir", PRATHEEPAN, "--split", "test",
                     "--json", out, "--quiet", check=True)
    assert "15 images of pratheepan/test" in result.stdout
    report = json.loads(out.read_text())
    for key in ("per_image_mean", "pooled"):
        assert set(report[key]) == set(METRIC_KEYS)
        assert all(0.0 <= v <= 1.0 for v in report[key].values())
    assert len(report["per_image"]) == 15
    assert set(report["per_image"][0]) == {"name", *METRIC_KEYS}
    mean_iou = np.mean([row["iou"] for row in report["per_image"]])
    assert report["per_image_mean"]["iou"] == pytest.approx(mean_iou)


def test_scores_are_computed_at_original_size(tiny_run):
    result = evaluate(tiny_run / "best.keras", "pratheepan", "val", data_dir=PRATHEEPAN)
    assert result["images"] == 16 and result["runtime"] == "keras"


def test_predict_writes_masks_at_original_size(tiny_run, tmp_path):
    photos = [FACES / "06Apr03Face.jpg", FACES / "Kishani_-__n_-_5.jpeg"]
    result = run_cli("predict", "-m", tiny_run / "best.keras", *photos, "--out", tmp_path / "out", "--overlay",
                     check=True)
    for photo in photos:
        mask = Image.open(tmp_path / "out" / f"{photo.stem}.png")
        assert mask.size == Image.open(photo).size and mask.mode == "L"
        assert set(np.unique(np.asarray(mask))) <= {0, 255}
        assert Image.open(tmp_path / "out" / f"{photo.stem}_overlay.png").size == mask.size
    assert result.stdout.count("->") == 2


def test_predict_folder_and_awkward_images(tiny_run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    photo = Image.open(FACES / "sarah.jpg")
    photo.convert("L").save(folder / "gray.png")
    photo.convert("CMYK").save(folder / "cmyk.jpg")
    photo.convert("P").save(folder / "palette.png")
    photo.convert("RGBA").save(folder / "rgba.png")
    photo.save(folder / "photo.webp")
    photo.resize((2000, 12)).save(folder / "wide.png")
    run_cli("predict", "-m", tiny_run / "best.keras", folder, "--out", tmp_path / "out", check=True)
    assert Image.open(tmp_path / "out" / "wide.png").size == (2000, 12)
    assert len(list((tmp_path / "out").glob("*.png"))) == 6


def test_predict_reports_bad_images_and_keeps_the_good_ones(tiny_run, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(FACES / "sarah.jpg").save(folder / "good.jpg")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = run_cli("predict", "-m", tiny_run / "best.keras", folder, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "broken.jpg" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "out" / "good.png").exists()


def test_predict_does_not_overwrite_without_force(tiny_run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sarah.png").write_bytes(b"keep me")
    result = run_cli("predict", "-m", tiny_run / "best.keras", FACES / "sarah.jpg", "--out", out)
    assert result.returncode == 1 and "already exists; use --force" in last_line(result.stderr)
    assert (out / "sarah.png").read_bytes() == b"keep me"
    run_cli("predict", "-m", tiny_run / "best.keras", FACES / "sarah.jpg", "--out", out, "--force", check=True)
    assert Image.open(out / "sarah.png").size == Image.open(FACES / "sarah.jpg").size


def test_an_overlay_never_replaces_a_finished_file_or_another_inputs_mask(tmp_path):
    import shutil

    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(FACES / "06Apr03Face.jpg", photos / "good.jpg")
    out = tmp_path / "masks"
    run_cli("predict", photos, "--out", out, "--overlay", "--quiet", check=True)
    overlay = (out / "good_overlay.png").read_bytes()
    (out / "good.png").unlink()  # the mask is gone, the overlay is still a finished file
    again = run_cli("predict", photos, "--out", out, "--overlay", "--quiet")
    assert again.returncode == 1 and "good_overlay.png: already exists" in again.stderr
    assert (out / "good_overlay.png").read_bytes() == overlay and not (out / "good.png").exists()
    # a photo named good_overlay.jpg would write the mask good_overlay.png, which is good.jpg's overlay
    shutil.copy(FACES / "06Apr03Face.jpg", photos / "good_overlay.jpg")
    clash = run_cli("predict", photos, "--out", tmp_path / "other", "--overlay", "--quiet")
    assert clash.returncode == 1 and "also writes good_overlay.png" in clash.stderr
    assert not (tmp_path / "other").exists()
    run_cli("predict", photos, "--out", tmp_path / "plain", "--quiet", check=True)  # without overlays, no clash


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a model at all"])
def test_bad_model_files_give_one_line_errors(tmp_path, content, tiny_run):
    bad = tmp_path / "model.keras"
    if content == b"PK\x03\x04 truncated":
        data = (tiny_run / "best.keras").read_bytes()
        content = data[: len(data) // 2]
    bad.write_bytes(content)
    result = run_cli("evaluate", "-m", bad, "--data-dir", PRATHEEPAN)
    assert result.returncode == 1
    assert last_line(result.stderr).startswith(f"Error: {bad}")
    assert "Traceback" not in result.stderr


def test_missing_model_and_missing_data(tmp_path):
    result = run_cli("predict", "-m", tmp_path / "nope.keras", FACES / "sarah.jpg", "--out", tmp_path / "o")
    assert result.returncode == 1 and "model not found" in last_line(result.stderr)
    result = run_cli("evaluate", "-m", tmp_path / "nope.keras", "--data-dir", tmp_path / "empty")
    assert result.returncode == 1 and "Error:" in last_line(result.stderr)


def test_camera_mode_on_a_video_of_real_photos(exported, tmp_path):
    cv2 = pytest.importorskip("cv2")
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for photo in sorted(FACES.glob("*.jpg"))[:6]:
        frame = np.asarray(Image.open(photo).convert("RGB").resize((320, 240)))[..., ::-1]
        writer.write(np.ascontiguousarray(frame))
    writer.release()
    result = run_cli("predict", "-m", exported["int8"], "--camera", video, "--out", tmp_path / "live.avi", check=True)
    assert "6 frames at" in result.stdout and "fps (litert)" in result.stdout
    capture = cv2.VideoCapture(str(tmp_path / "live.avi"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    missing = run_cli("predict", "-m", exported["int8"], "--camera", tmp_path / "nope.avi", "--out", tmp_path / "x.avi")
    assert missing.returncode == 1 and "could not be opened" in last_line(missing.stderr)
