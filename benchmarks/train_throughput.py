"""Training throughput: images per second, and the share of step time spent waiting on input.

    python benchmarks/train_throughput.py --backend jax --arch edge-unet --width 1.5 \
        --img-size 256 --batch-size 16 --steps 30 --data-dir ../shared/datasets/pratheepan

Runs real training steps on Pratheepan's training split through the same tf.data pipeline
(augmentation on) as ``skinseg train``. Input wait is the time between one step's end and the
next step's start, which is where Keras pulls the next batch from the pipeline.
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

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.begins, self.ends = [], []

        def on_train_batch_begin(self, batch, logs=None):
            self.begins.append(time.perf_counter())

        def on_train_batch_end(self, batch, logs=None):
            self.ends.append(time.perf_counter())

    timer = Timer()
    model.fit(dataset, steps_per_epoch=args.warmup + args.steps, epochs=1, callbacks=[timer], verbose=0)
    begins, ends = timer.begins[args.warmup:], timer.ends[args.warmup:]
    total = ends[-1] - timer.ends[args.warmup - 1]
    waiting = sum(b - e for b, e in zip(begins, timer.ends[args.warmup - 1:-1]))
    devices = []
    try:
        devices = [str(d) for d in keras.distribution.list_devices()]
    except Exception:  # not every backend lists devices the same way
        pass
    result = {
        "backend": args.backend, "arch": args.arch, "width": args.width, "img_size": args.img_size,
        "batch_size": args.batch_size, "steps": args.steps, "precision": args.precision,
        "images_per_s": args.steps * args.batch_size / total,
        "input_wait_share": waiting / total,
        "devices": devices, "cpu_count": os.cpu_count(), "platform": platform.platform(),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
