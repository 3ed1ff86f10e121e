"""Model architectures, created by name through one factory."""

from __future__ import annotations

from ..plugins import registry


def create_model(name: str, img_size: int = 256, width: float = 1.0, **options):
    """Build a registered architecture: an uncompiled Keras model from 0..255 RGB to skin probability."""
    builder = registry("architectures").get(name).obj
    return builder(img_size=img_size, width=width, **options)


def architecture_names() -> list[str]:
    return registry("architectures").names()
