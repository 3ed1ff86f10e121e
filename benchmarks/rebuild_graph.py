"""Puts a run's trained weights into its architecture's current graph.

    python benchmarks/rebuild_graph.py runs/mobile-resize-ft runs/mobile-resize-ft-graph

The new run folder gets best.keras (the builder's current graph with the run's best weights,
checked to give the same outputs) and a copy of config.json. Use it when a builder changed how
it lays out the same function after the run was trained: mobilenet-unet now zero-pads the image
before scaling it, so the converter folds the 1/255 into the stem instead of leaving a MUL op.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def rebuilt(trained, run_config: dict):
    """``trained``'s weights in a fresh build of its architecture, with the same outputs."""
    import numpy as np

    from skinseg.architectures import create_model

    size = run_config["img_size"]
    model = create_model(run_config["arch"], img_size=size, width=run_config["width"],
                         **run_config.get("arch_options", {}))
    model.set_weights(trained.get_weights())
    probe = np.random.default_rng(0).uniform(0, 255, (2, size, size, 3)).astype("float32")
    difference = np.abs(np.asarray(model(probe, training=False)) - np.asarray(trained(probe, training=False))).max()
    if difference > 1e-5:
        raise SystemExit(f"{run_config['arch']}'s current graph changes the outputs by {difference}")
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists; remove it first")
    from skinseg.keras_io import load_keras_model, save_keras_model

    run_config = json.loads((args.run / "config.json").read_text())["config"]
    model = rebuilt(load_keras_model(args.run / "best.keras"), run_config)
    args.out.mkdir(parents=True)
    shutil.copy(args.run / "config.json", args.out / "config.json")
    save_keras_model(model, args.out / "best.keras")
    print(f"{args.out / 'best.keras'}: {run_config['arch']} weights of {args.run} in the current graph")


if __name__ == "__main__":
    main()
