"""End-to-end time per photo: skinseg's default path and model-only path against MediaPipe's selfie
segmenter, interleaved photo by photo in one run.

End to end means what a user waits for: a decoded RGB photo in, a full-size boolean mask out, every
host step included (resizing in, the interpreter call and its I/O, resizing back, thresholding).
Decoding is not timed. Each side runs in its own persistent worker process (MediaPipe 0.10.14 needs
numpy<2, so it has its own virtual environment); the driver asks them in turn, so they never compete
for the two cores. Each photo is timed REPEATS times per round and the median kept.

    python -m venv .venv-mediapipe && .venv-mediapipe/bin/pip install 'mediapipe==0.10.14' 'numpy<2' pillow
    python benchmarks/e2e_latency.py --mediapipe .venv-mediapipe/bin/python --out benchmarks/results/e2e_latency.json

Without --mediapipe only skinseg is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES_MP = (0.3, 1.0, 3.0, 12.0)  # one photo resized to each, 4:3
REPEATS = 7

# Both workers read {"photo": path, "size": [w, h] or null} lines and answer {"ms": [...], ...}.
_COMMON = r"""
import json, sys, time
import numpy as np
from PIL import Image, ImageOps

def photo(request):
    image = ImageOps.exif_transpose(Image.open(request["photo"])).convert("RGB")
    if request["size"]:
        image = image.resize(tuple(request["size"]), Image.BILINEAR)
    return np.ascontiguousarray(np.asarray(image))

def serve(steps, repeats):
    for line in sys.stdin:
        request = json.loads(line)
        rgb = photo(request)
        answer = {}
        for name, step in steps.items():
            step(rgb)  # warm: first call at a new size allocates
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                mask = step(rgb)
                times.append((time.perf_counter() - start) * 1000.0)
            if mask is not None:  # None: a step that is timed for reference and makes no mask
                assert mask.shape == rgb.shape[:2] and mask.dtype == bool, (mask.shape, mask.dtype)
            answer[name] = times
        print(json.dumps(answer), flush=True)
"""

SKINSEG_WORKER = _COMMON + r"""
from skinseg.runtime import Segmenter, preprocess
model, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
default = Segmenter(model, num_threads=threads)
plain = Segmenter(model, num_threads=threads, adapt=False, threshold=0.5)
from skinseg.images import covered_size, threshold_levels, upsample_levels
size = default.model.input_size
stages = {}  # each stage's input, made once per photo size, so each stage is timed alone
def stage_inputs(rgb):
    if rgb.shape not in stages:
        small = preprocess(rgb, size)
        probability = default.model.run(small)[0]
        covered = covered_size(*rgb.shape[:2], size)
        levels = upsample_levels(probability, (rgb.shape[1], rgb.shape[0]), covered)
        stages[rgb.shape] = small, probability, covered, levels
    return stages[rgb.shape]
def resize_in(rgb):
    preprocess(rgb, size)
def call(rgb):  # the interpreter call with its I/O conversion, on the photo already at the model's size
    default.model.run(stage_inputs(rgb)[0])
def resize_back(rgb):
    _, probability, covered, _ = stage_inputs(rgb)
    upsample_levels(probability, (rgb.shape[1], rgb.shape[0]), covered)
def threshold(rgb):
    threshold_levels(stage_inputs(rgb)[3], default.settings.threshold)
steps = {"default": default.predict, "model_only": plain.predict, "model_call": call,
         "stage_resize_in": resize_in, "stage_resize_back": resize_back, "stage_threshold": threshold}
print(json.dumps({"settings": default.settings.as_metadata(), "runtime": default.runtime}), flush=True)
serve(steps, repeats)
"""

MEDIAPIPE_WORKER = _COMMON + r"""
import mediapipe as mp
repeats = int(sys.argv[1])
selfie = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
steps = {"mediapipe_selfie": lambda rgb: selfie.process(rgb).segmentation_mask > 0.5}
print(json.dumps({"version": mp.__version__}), flush=True)
serve(steps, repeats)
"""


class Worker:
    def __init__(self, python: str, script: str, *args: str):
        self.process = subprocess.Popen([python, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        self.info = json.loads(self.process.stdout.readline())

    def time(self, photo: Path, size) -> dict:
        self.process.stdin.write(json.dumps({"photo": str(photo), "size": size}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.process.args[:3]} died")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="skinseg-lite-int8")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mediapipe", help="Python of a venv with mediapipe==0.10.14")
    parser.add_argument("--data", default=os.environ.get("SKINSEG_DATA", str(REPO.parent / "shared" / "datasets")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from skinseg.datasets import load_dataset
    from skinseg.files import atomic_write_json

    photos = [s.image for s in load_dataset("pratheepan", Path(args.data) / "pratheepan").split("test")]
    workers = [Worker(sys.executable, SKINSEG_WORKER, args.model, str(args.threads), str(REPEATS))]
    if args.mediapipe:
        workers.append(Worker(args.mediapipe, MEDIAPIPE_WORKER, str(REPEATS)))
    jobs = [("test", photo, None) for photo in photos]
    for mp_size in SIZES_MP:
        width = round((mp_size * 1e6 * 4 / 3) ** 0.5)
        jobs.append((f"{mp_size:g} MP", photos[0], [width, round(width * 3 / 4)]))
    medians: dict = {}  # (group, path) -> name -> [median per round]
    for _ in range(args.rounds):
        for group, photo, size in jobs:
            for worker in workers:  # interleaved: one worker at a time, photo by photo
                for name, times in worker.time(photo, size).items():
                    medians.setdefault((group, str(photo)), {}).setdefault(name, []).append(statistics.median(times))
    for worker in workers:
        worker.close()

    table: dict = {}
    for (group, _), by_name in medians.items():
        for name, per_round in by_name.items():
            table.setdefault(group, {}).setdefault(name, []).append(statistics.median(per_round))
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    result = {"model": args.model, "threads": args.threads, "rounds": args.rounds, "repeats": REPEATS, "cpu": cpu,
              "skinseg": workers[0].info, "mediapipe": workers[1].info if args.mediapipe else None,
              "ms": {group: {name: statistics.median(values) for name, values in by_name.items()}
                     for group, by_name in table.items()},
              "ms_per_test_photo": table.get("test")}
    atomic_write_json(args.out, result)
    names = [n for n in next(iter(result["ms"].values())) if not n.startswith("stage_")]
    print(f"{'photos':<12}" + "".join(f"{n:>18}" for n in names))
    for group, by_name in result["ms"].items():
        print(f"{group:<12}" + "".join(f"{by_name[n]:>15.1f} ms" for n in names))
    stages = ["stage_resize_in", "model_call", "stage_resize_back", "stage_threshold"]
    print("\nwhere skinseg's time goes, ms: resizing in, the model call with its I/O, resizing back, thresholding")
    for group, by_name in result["ms"].items():
        print(f"{group:<12}" + "".join(f"{by_name[n]:>18.2f}" for n in stages))


if __name__ == "__main__":
    main()
