"""Start a resize-decoder model from a trained one (transposed or resize decoder).

    python benchmarks/resize_decoder_init.py runs/mobilenet-unet-e16/best.keras \
        runs/mobilenet-unet-resize-init.keras --arch mobilenet-unet
    python benchmarks/resize_decoder_init.py skinseg/shipped/skinseg-lite.keras \
        runs/prep/lite-os4.keras --arch mobilenet-unet --output-stride 4

Every layer the two networks share keeps its trained weights. A 2x2 stride-2 transposed
convolution gives each of the four output pixels of an input pixel its own 1x1 map; the resize
decoder's 1x1 convolution before its bilinear resize has one map for all four, so it starts
from the mean of the four. A layer the source lacks or has in another shape (the logits, when
``--output-stride`` drops the finest decoder stage) keeps its fresh initialisation. The result is
a warm start for ``skinseg train --init``, not a finished model: fine-tune it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="trained .keras model with upsample=transpose")
    parser.add_argument("out", type=Path, help=".keras file to write")
    parser.add_argument("--arch", required=True)
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--img-size", type=int, default=256)
    parser.add_argument("--output-stride", type=int, default=2, help="the target's output_stride arch option")
    parser.add_argument("--force", action="store_true", help="overwrite OUT")
    args = parser.parse_args()
    if args.out.exists() and not args.force:
        parser.error(f"{args.out} exists; give --force to overwrite it")

    from skinseg.architectures import create_model
    from skinseg.keras_io import load_keras_model, save_keras_model

    source = load_keras_model(args.source)
    options = {"output_stride": args.output_stride} if args.output_stride != 2 else {}
    target = create_model(args.arch, img_size=args.img_size, width=args.width, upsample="resize", **options)
    trained = {layer.name: layer for layer in source.layers}
    fresh = []
    for layer in target.layers:
        if not layer.weights:
            continue
        if layer.name not in trained:
            fresh.append(layer.name)
            continue
        weights = trained[layer.name].get_weights()
        if type(trained[layer.name]).__name__ == "Conv2DTranspose":
            kernel = weights[0].mean(axis=(0, 1))  # (out, in): one map for the four output pixels
            weights[0] = kernel.T[None, None]
        if [w.shape for w in weights] != [tuple(w.shape) for w in layer.weights]:
            fresh.append(layer.name)
            continue
        layer.set_weights(weights)
    save_keras_model(target, args.out)
    print(f"{args.out}: {target.count_params():,} parameters from {args.source}; "
          f"freshly initialised: {', '.join(fresh) or 'none'}")


if __name__ == "__main__":
    main()
