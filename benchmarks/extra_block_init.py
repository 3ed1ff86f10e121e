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
import json
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

    source_path = resolve_model(args.model)
    source = load_keras_model(source_path)
    options = _arch_options(source_path)
    model = create_model("mobilenet-unet", img_size=source.input_shape[1], **options, extra_block=True)
    load_imagenet_encoder(model)
    for layer in source.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    image = np.random.default_rng(0).uniform(0, 255, (1, *source.input_shape[1:])).astype("float32")
    difference = float(np.abs(np.asarray(model(image)) - np.asarray(source(image))).max())
    if difference > 1e-5:
        raise SystemExit(f"the deeper model does not start where {args.model} is (max difference {difference:.2g})")
    save_keras_model(model, args.out)
    print(f"{args.out}: {model.count_params():,} parameters ({source.count_params():,} in {args.model}), "
          f"max output difference {difference:.1g}")


def _arch_options(path: Path) -> dict:
    """The architecture options the model was trained with, from its run's config.json or its
    shipped entry."""
    from skinseg.models import shipped_models

    config = path.parent / "config.json"
    if config.is_file():
        return json.loads(config.read_text()).get("arch_options", {})
    for entry in shipped_models().values():
        if entry["path"] == path:
            return entry.get("arch_options", {})
    raise SystemExit(f"{path}: no config.json beside it and not a shipped model; its --arch-option values are unknown")


if __name__ == "__main__":
    main()
