"""Training throughput: images per second, and the share of step time spent waiting on input.

    python benchmarks/train_throughput.py --backend jax --arch edge-unet --width 1.5 \
        --img-size 256 --batch-size 16 --steps 30 --data-dir ../shared/datasets/pratheepan

Runs real training steps on Pratheepan's training split through the same tf.data pipeline
(augmentation on) as ``skinseg train``, three ways: the pipeline alone, the training step alone
on one batch held in memory, and ``fit`` with both. ``input_wait_share`` is
1 - (step-alone time / fit time): time waiting on input plus ``fit``'s own overhead. (On the
TensorFlow backend Keras pulls batches inside its compiled step, so timing the gap between
steps would miss the wait entirely.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="tensorflow", choices=["tensorflow", "jax", "torch"])
    parser.add_argument("--arch", default="edge-unet")
    parser.add_argument("--width", type=float, default=1.5)
    parser.add_argument("--img-size", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--precision", default="float32", choices=["float32", "mixed"])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--json", default=None, help="Also write the result here.")
    args = parser.parse_args()

    from skinseg.backend import use_backend

    use_backend(args.backend)
    import keras

    from skinseg.architectures import create_model
    from skinseg.datasets import load_dataset
    from skinseg.losses import BceDiceLoss
    from skinseg.pipeline import load_arrays, make_dataset

    if args.precision == "mixed":
        keras.mixed_precision.set_global_policy("mixed_float16")
    images, masks = load_arrays(load_dataset("pratheepan", args.data_dir).split("train"), args.img_size)
    dataset = make_dataset(images, masks, args.batch_size, augment=True, shuffle=True, repeat=True)
    model = create_model(args.arch, img_size=args.img_size, width=args.width)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3), loss=BceDiceLoss())

    import numpy as np

    steps, batch = args.steps, args.batch_size
    iterator = iter(dataset)
    first = next(iterator)
    start = time.perf_counter()
    for _ in range(steps):
        next(iterator)
    pipeline_s = time.perf_counter() - start

    x, y = np.asarray(first[0]), np.asarray(first[1])
    for _ in range(args.warmup):
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    compute_s = time.perf_counter() - start

    model.fit(dataset, steps_per_epoch=args.warmup, epochs=1, verbose=0)  # compile fit's own step
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    fit_s = time.perf_counter() - start
    devices = []
    try:
        devices = [str(d) for d in keras.distribution.list_devices()]
    except Exception:  # not every backend lists devices the same way
        pass
    result = {
        "backend": args.backend, "arch": args.arch, "width": args.width, "img_size": args.img_size,
        "batch_size": args.batch_size, "steps": args.steps, "precision": args.precision,
        "images_per_s": steps * batch / fit_s,
        "compute_only_images_per_s": steps * batch / compute_s,
        "pipeline_only_images_per_s": steps * batch / pipeline_s,
        "input_wait_share": max(0.0, 1.0 - compute_s / fit_s),
        "devices": devices, "cpu_count": os.cpu_count(), "platform": platform.platform(),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
