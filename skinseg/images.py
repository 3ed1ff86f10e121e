"""Reading photographs and skin masks the way they are displayed, whatever their encoding.

Every image goes through :func:`read_image` (EXIF rotation applied, any mode to 8-bit RGB) and
every mask through :func:`read_mask` (gray > 127 is skin, alpha ignored), so training, evaluation
and inference all see the same pixels.
"""

from __future__ import annotations

import io
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import SkinsegError
from .files import atomic_write_bytes

# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; a skin photo above 80 MP is
# far more likely a decompression bomb than a photograph, so both cases become an error.
MAX_PIXELS = 80_000_000
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def images_in(folder: str | os.PathLike) -> list[Path]:
    """Every image file under ``folder`` (recursively), sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_image_file(p))


@contextmanager
def _open(path: str | os.PathLike):
    path = Path(path)
    if not path.exists():
        raise SkinsegError(f"{path}: file not found; check the path")
    if path.is_dir():
        raise SkinsegError(f"{path}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise SkinsegError(f"{path}: empty file; replace it with a valid image")
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.load()
                yield img
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise SkinsegError(
            f"{path}: image is larger than {MAX_PIXELS:,} pixels (possible decompression bomb); "
            "downscale it first"
        ) from None
    except UnidentifiedImageError:
        raise SkinsegError(f"{path}: not an image Pillow can read; remove it or convert it") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise SkinsegError(f"{path}: corrupt or truncated image ({exc}); replace the file") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB, as a viewer would show it."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and 32-bit grayscale: stretch the used range to 8 bits rather than clip it.
        values = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        # Transparent pixels carry arbitrary colour; show them on white as viewers do.
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open a photograph as an upright 8-bit RGB Pillow image."""
    with _open(path) as img:
        img = ImageOps.exif_transpose(img)
        return to_rgb(img)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """A photograph as an (H, W, 3) uint8 array, upright as displayed."""
    return np.asarray(load_image(path))


def read_mask(path: str | os.PathLike, expected_size: tuple[int, int] | None = None) -> np.ndarray:
    """A skin mask as an (H, W) bool array: gray > 127 is skin, alpha is ignored.

    ``expected_size`` is the (width, height) of the matching image; a mask of another size is an
    error rather than a silent resize.
    """
    with _open(path) as img:
        img = ImageOps.exif_transpose(img)
        if img.mode in ("I;16", "I;16B", "I;16L", "I"):
            values = np.asarray(img, dtype=np.float64)
            mask = values > (32767 if values.max() > 255 else 127)
        else:
            if img.mode in ("RGBA", "LA", "PA", "P"):
                img = img.convert("RGBA").convert("RGB")  # drop alpha, keep colour
            mask = np.asarray(img.convert("L")) > 127
    if expected_size is not None and (mask.shape[1], mask.shape[0]) != tuple(expected_size):
        w, h = expected_size
        raise SkinsegError(
            f"{path}: mask is {mask.shape[1]}x{mask.shape[0]} but its image is {w}x{h}; "
            "fix or remove the pair"
        )
    return mask


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) as displayed, read from the header where possible."""
    with _open(path) as img:
        w, h = img.size
        orientation = img.getexif().get(0x0112, 1)
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def _reduction(height: int, width: int, size: tuple[int, int]) -> tuple[int, tuple[int, int], tuple[int, int]]:
    """How :func:`resize_rgb` box-averages a photo before its bilinear resize to ``size``: the number
    of 2x2 halvings, then whole factors (along x, along y), and the (width, height) of the photo
    region that this covers. Together they shrink the photo to less than twice ``size`` per axis,
    as Pillow's ``reducing_gap=1`` does."""
    halvings = 0
    while width // 2 >= size[0] and height // 2 >= size[1]:
        width, height, halvings = width // 2, height // 2, halvings + 1
    factor_x, factor_y = max(1, width // size[0]), max(1, height // size[1])
    scale = 2 ** halvings
    return halvings, (factor_x, factor_y), (width // factor_x * factor_x * scale, height // factor_y * factor_y * scale)


def covered_size(height: int, width: int, size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) of the part of a photo that :func:`resize_rgb` shows the model: all of it but
    the few last columns and rows that whole-factor boxes cannot split (under 1% of a side)."""
    return _reduction(height, width, size)[2]


def resize_rgb(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W, 3) uint8 image to (width, height) with Pillow's bilinear filter.

    This is the one resize used by training, evaluation and every runtime, so a model sees the
    same pixels wherever it runs. A photo over twice the size is first box-averaged by OpenCV,
    straight on the array: 2x2 halvings (OpenCV's fastest path), then a whole factor per axis,
    what Pillow's ``reducing_gap=1`` does; Pillow's bilinear filter then shrinks it by under 2x.
    On the validation suite this scores as Pillow's filter alone (paired macro F1 +0.0003 ± 0.0004,
    experiments/host-steps-on-the-suite), and it takes a 3 MP photo from 9 ms to about 1.4
    (benchmarks/e2e_latency.py times each stage).
    """
    if (image.shape[1], image.shape[0]) == tuple(size):
        return image
    halvings, (factor_x, factor_y), (width, height) = _reduction(*image.shape[:2], size)
    if halvings or factor_x > 1 or factor_y > 1:
        import cv2

        image = image[:height, :width]
        for _ in range(halvings):
            image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
        if factor_x > 1 or factor_y > 1:
            image = cv2.resize(image, (image.shape[1] // factor_x, image.shape[0] // factor_y),
                               interpolation=cv2.INTER_AREA)
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize a bool mask with nearest-neighbour so it stays binary, over the part of the photo
    :func:`resize_rgb` shows, so a training mask stays aligned with its image."""
    if (mask.shape[1], mask.shape[0]) == tuple(size):
        return mask
    width, height = covered_size(*mask.shape[:2], size)
    img = Image.fromarray(mask[:height, :width].astype(np.uint8) * 255)
    return np.asarray(img.resize(size, Image.NEAREST)) > 127


def upsample_levels(probability: np.ndarray, size: tuple[int, int],
                    covered: tuple[int, int] | None = None) -> np.ndarray:
    """A model-size (h, w) probability -> (height, width) uint8 levels (probability x 255), bilinear.

    ``covered`` is the (width, height) of the photo region the model saw (:func:`covered_size`); the
    few rows and columns past it take the levels of their nearest neighbour. The mask of a photo is
    these levels against :func:`level_threshold`: eight-bit levels (an int8 model's output has 256
    steps anyway) and OpenCV's resize make this one pass over the photo's pixels, 3 ms at 12 MP
    where Pillow's float resize and the threshold took 150 ms.
    """
    import cv2

    width, height = (int(v) for v in size)
    seen_width, seen_height = covered or (width, height)
    levels = np.clip(probability * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if (seen_width, seen_height) == (width, height):
        if levels.shape == (height, width):
            return levels
        return cv2.resize(levels, (width, height), interpolation=cv2.INTER_LINEAR)
    full = np.empty((height, width), np.uint8)
    seen = cv2.resize(levels, (seen_width, seen_height), interpolation=cv2.INTER_LINEAR)
    full[:seen_height, :seen_width] = seen
    full[:seen_height, seen_width:] = seen[:, -1:]
    full[seen_height:] = full[seen_height - 1 : seen_height]
    return full


def threshold_levels(levels: np.ndarray, threshold: float) -> np.ndarray:
    """The bool mask of uint8 levels: levels / 255 > threshold (one fast pass, by OpenCV)."""
    import cv2

    return cv2.threshold(levels, level_threshold(threshold), 1, cv2.THRESH_BINARY)[1].view(bool)


def level_threshold(threshold: float) -> int:
    """The level a pixel must exceed to be skin: levels / 255 > threshold, in integers."""
    return int(np.floor(threshold * 255.0))


def resize_probability(prob: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (h, w) float probability map to (width, height) bilinearly."""
    if (prob.shape[1], prob.shape[0]) == tuple(size):
        return prob
    img = Image.fromarray(prob.astype(np.float32))
    return np.asarray(img.resize(size, Image.BILINEAR))


def save_png(path: str | os.PathLike, array: np.ndarray) -> None:
    """Save an array as PNG atomically."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
