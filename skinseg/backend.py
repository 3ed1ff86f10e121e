"""Choosing the Keras backend (tensorflow, jax or torch) before Keras is first imported."""

from __future__ import annotations

import os
import sys

from .errors import SkinsegError

BACKENDS = ("tensorflow", "jax", "torch")


def use_backend(name: str | None) -> str:
    """Select the Keras backend for this process; ``None`` keeps ``$KERAS_BACKEND`` (default tensorflow)."""
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        raise SkinsegError(f"unknown backend {name!r}; available: {', '.join(BACKENDS)}")
    if "keras" in sys.modules:
        active = sys.modules["keras"].backend.backend()
        if active != name:
            raise SkinsegError(f"Keras is already running on {active}; set KERAS_BACKEND={name} before starting")
        return name
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[name]
    try:
        __import__(module)
    except ImportError:
        raise SkinsegError(f"backend {name} is not installed; install it with: pip install 'skinseg[{name}]'") from None
    os.environ["KERAS_BACKEND"] = name
    return name
