"""Awkward but valid images just work; bad files give one clear error naming the file."""

import io

import numpy as np
import pytest
from PIL import Image

from skinseg import SkinsegError
from skinseg.images import read_image, read_mask
from skinseg.runtime import as_rgb_array

from conftest import PRATHEEPAN

PHOTO = PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto" / "06Apr03Face.jpg"


@pytest.fixture
def photo():
    return Image.open(PHOTO).convert("RGB")


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "RGBA", "LA", "I;16", "I", "1"])
def test_any_mode_reads_as_rgb(tmp_path, photo, mode):
    if mode == "I;16":
        img = Image.fromarray(np.asarray(photo.convert("L"), np.uint16) * 257)
    elif mode == "I":
        img = photo.convert("L").convert("I")
    else:
        img = photo.convert(mode)
    path = tmp_path / ("x.tif" if mode in ("CMYK", "I;16", "I") else "x.png")
    img.save(path)
    array = read_image(path)
    assert array.shape == (photo.height, photo.width, 3) and array.dtype == np.uint8
    # The content survives the conversion (not all black or white).
    assert 20 < array.mean() < 235


def test_sixteen_bit_keeps_its_brightness(tmp_path, photo):
    gray = np.asarray(photo.convert("L"))
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    assert np.abs(read_image(tmp_path / "g16.png")[..., 0].astype(int) - gray).max() <= 1


def test_exif_rotation_is_applied_so_the_mask_matches_the_displayed_image(tmp_path, photo):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    photo.save(tmp_path / "rotated.jpg", exif=exif.tobytes())
    displayed = read_image(tmp_path / "rotated.jpg")
    assert displayed.shape[:2] == (photo.width, photo.height)
    mask = Image.new("L", (photo.height, photo.width), 255)  # drawn on the displayed image
    mask.save(tmp_path / "mask.png")
    assert read_mask(tmp_path / "mask.png", expected_size=(displayed.shape[1], displayed.shape[0])).all()


@pytest.mark.parametrize("size", [(1, 1), (3, 2), (4000, 8), (8, 3000)])
def test_tiny_and_very_wide_images(tmp_path, size):
    Image.new("RGB", size, (200, 150, 120)).save(tmp_path / "odd.png")
    assert read_image(tmp_path / "odd.png").shape == (size[1], size[0], 3)


def test_webp(tmp_path, photo):
    photo.save(tmp_path / "x.webp")
    assert read_image(tmp_path / "x.webp").shape == (photo.height, photo.width, 3)


def test_rgba_mask_ignores_alpha_and_thresholds_gray(tmp_path):
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., :3] = [[[255, 255, 255], [128, 128, 128], [127, 127, 127]]] * 2
    rgba[..., 3] = 0  # fully transparent: must not matter
    Image.fromarray(rgba).save(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png").tolist() == [[True, True, False]] * 2


def test_real_pratheepan_mask_reads_at_image_size():
    mask = read_mask(PRATHEEPAN / "Ground_Truth" / "GroundT_FacePhoto" / "06Apr03Face.png", expected_size=(360, 516))
    assert mask.shape == (516, 360) and 0.05 < mask.mean() < 0.9


def _bad_files(tmp_path):
    good = PHOTO.read_bytes()
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("this is not an image")
    (tmp_path / "truncated.jpg").write_bytes(good[: len(good) // 3])
    corrupt = bytearray(good)
    corrupt[200:4000] = b"\x00" * 3800
    (tmp_path / "corrupt.jpg").write_bytes(bytes(corrupt))
    return ["empty.jpg", "text.jpg", "truncated.jpg", "missing.jpg"]


@pytest.mark.parametrize("name", ["empty.jpg", "text.jpg", "truncated.jpg", "missing.jpg"])
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path, name):
    _bad_files(tmp_path)
    with pytest.raises(SkinsegError) as info:
        read_image(tmp_path / name)
    message = str(info.value)
    assert name in message and "\n" not in message


def test_decompression_bomb_is_refused(tmp_path):
    Image.new("1", (10000, 9000)).save(tmp_path / "bomb.png")  # 90 MP, a few KB on disk
    with pytest.raises(SkinsegError, match="decompression bomb"):
        read_image(tmp_path / "bomb.png")


def test_mask_of_wrong_size_is_refused(tmp_path):
    Image.new("L", (10, 10)).save(tmp_path / "m.png")
    with pytest.raises(SkinsegError, match="mask is 10x10 but its image is 20x10"):
        read_mask(tmp_path / "m.png", expected_size=(20, 10))


@pytest.mark.parametrize("array,expected", [
    (np.zeros((5, 7), np.uint8), (5, 7, 3)),
    (np.zeros((5, 7, 4), np.uint8), (5, 7, 3)),
    (np.zeros((5, 7, 3), np.uint16), (5, 7, 3)),
    (np.zeros((5, 7, 3), np.float32), (5, 7, 3)),
])
def test_arrays_of_any_layout_become_rgb(array, expected):
    assert as_rgb_array(array).shape == expected


def test_pil_image_input_is_converted(photo):
    assert as_rgb_array(photo.convert("CMYK")).shape == (photo.height, photo.width, 3)
