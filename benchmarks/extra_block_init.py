"""Writes the starting point of a deeper skinseg-lite: its network with ``--arch-option
extra_block=true``, the added block's expansion and depthwise layers from ImageNet and every other
layer from a trained model.

    python benchmarks/extra_block_init.py skinseg-lite --out runs/lite-extra-block-init.keras

``skinseg train --init`` takes one model; one trained without the block would start it at random,
which throws away what the pretrained layers know of objects and scenes. The block starts as the
identity, so the written model predicts what the trained one does; this script checks that on a
random input before it writes anything.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="a trained mobilenet-unet: a .keras file or a shipped model's name")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from skinseg.architectures import create_model
    from skinseg.keras_io import load_keras_model, save_keras_model
    from skinseg.models import resolve_model
    from skinseg.pretrained import load_imagenet_encoder
    from skinseg.training import _load_initial_weights

    source_path = resolve_model(args.model)
    source = load_keras_model(source_path)
    width, options = _build_options(source_path)
    import keras

    keras.utils.set_random_seed(0)  # the block's projection kernel is drawn fresh: the same file every time
    model = create_model("mobilenet-unet", img_size=source.input_shape[1], width=width,
                         **{**options, "extra_block": True})
    load_imagenet_encoder(model)
    # The trained layers by name, as `skinseg train --init` sets them, with its checks.
    _load_initial_weights(model, str(source_path), "mobilenet-unet")
    image = np.random.default_rng(0).uniform(0, 255, (1, *source.input_shape[1:])).astype("float32")
    difference = float(np.abs(np.asarray(model(image)) - np.asarray(source(image))).max())
    if difference > 1e-5:
        raise SystemExit(f"the deeper model does not start where {args.model} is (max difference {difference:.2g})")
    save_keras_model(model, args.out)
    print(f"{args.out}: {model.count_params():,} parameters ({source.count_params():,} in {args.model}), "
          f"max output difference {difference:.1g}")


def _build_options(path: Path) -> tuple[float, dict]:
    """The decoder width and architecture options the model was built with, from its run's
    config.json or its shipped entry."""
    from skinseg.export.metadata import run_config
    from skinseg.models import shipped_models

    entry = run_config(path) or next((e for e in shipped_models().values() if e["path"] == path), None)
    if entry is None:
        raise SystemExit(f"{path}: no config.json beside it and not a shipped model; its --arch-option values are unknown")
    return entry.get("width", 1.0), entry.get("arch_options", {})

if __name__ == "__main__":
    main()
