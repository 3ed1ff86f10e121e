"""The exported model in environments without TensorFlow: LiteRT alone, and tflite-runtime 2.14.

Each test builds its own virtual environment from PyPI (numpy, pillow, the package without the
train extra, one interpreter), so these are marked slow. They compare skin probabilities and masks
on real Pratheepan photos with what the full environment computes for the same files.
"""

import json
import subprocess
import sys
import venv

import numpy as np
import pytest

from skinseg.runtime import Segmenter

from conftest import PRATHEEPAN, REPO

pytestmark = pytest.mark.slow

PHOTOS = sorted((PRATHEEPAN / "Pratheepan_Dataset" / "FamilyPhoto").glob("*.jpg"))[:5]
BASE = ["pillow", "click", "pluggy", "pooch", "tqdm", "flatbuffers", "requests", "opencv-python-headless"]

DUMP = """
import json, sys
import numpy as np
from skinseg.runtime import Segmenter
model, out, photos = sys.argv[1], sys.argv[2], sys.argv[3:]
seg = Segmenter(model, num_threads=1)
np.savez(out, *[seg.probability(p) for p in photos])
import importlib.util
print(json.dumps({"runtime": seg.runtime, "tensorflow": importlib.util.find_spec("tensorflow") is not None}))
"""


def _make_env(path, packages):
    venv.EnvBuilder(with_pip=True).create(path)
    python = path / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *packages, *BASE], check=True, timeout=900)
    subprocess.run([*pip, "--no-deps", "-e", str(REPO)], check=True, timeout=600)
    return python


@pytest.fixture(scope="module")
def litert_env(tmp_path_factory):
    return _make_env(tmp_path_factory.mktemp("venv-litert"), ["ai-edge-litert", "numpy"])


@pytest.fixture(scope="module")
def tflite_runtime_env(tmp_path_factory):
    return _make_env(tmp_path_factory.mktemp("venv-tflite-runtime"), ["tflite-runtime==2.14.0", "numpy<2"])


def _probabilities(python, model, tmp_path):
    out = tmp_path / "probs.npz"
    result = subprocess.run([str(python), "-c", DUMP, str(model), str(out), *map(str, PHOTOS)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout.strip().splitlines()[-1])
    with np.load(out) as saved:
        return [saved[f"arr_{i}"] for i in range(len(PHOTOS))], info


def _reference(model):
    seg = Segmenter(model, runtime="litert", num_threads=1)
    return [seg.probability(p) for p in PHOTOS]


def test_litert_env_has_no_tensorflow_and_gives_the_same_masks(litert_env, exported, tmp_path):
    probs, info = _probabilities(litert_env, exported["int8"], tmp_path)
    assert info == {"runtime": "litert", "tensorflow": False}
    expected = _reference(exported["int8"])
    for got, want in zip(probs, expected):
        np.testing.assert_array_equal(got, want)

    # The CLI there: predict writes the same masks, evaluate gives the same scores as here.
    skinseg = litert_env.parent / "skinseg"
    result = subprocess.run([str(skinseg), "predict", "-m", str(exported["int8"]), *map(str, PHOTOS),
                             "--out", str(tmp_path / "masks")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    from PIL import Image

    for photo, prob in zip(PHOTOS, expected):
        mask = np.asarray(Image.open(tmp_path / "masks" / f"{photo.stem}.png")) > 127
        assert (mask == (prob > 0.5)).all()
    evaluated = subprocess.run([str(skinseg), "evaluate", "-m", str(exported["int8"]), "--data-dir",
                                str(PRATHEEPAN), "--json", str(tmp_path / "edge.json"), "--quiet"],
                               capture_output=True, text=True)
    assert evaluated.returncode == 0, evaluated.stderr
    from skinseg.evaluation import evaluate

    here = evaluate(exported["int8"], data_dir=PRATHEEPAN, runtime="litert")
    there = json.loads((tmp_path / "edge.json").read_text())
    assert there["per_image"] == here["per_image"]


@pytest.mark.parametrize("quantize", ["none", "float16", "dynamic", "int8"])
def test_tflite_runtime_2_14_loads_current_converter_output(tflite_runtime_env, exported, quantize, tmp_path):
    probs, info = _probabilities(tflite_runtime_env, exported[quantize], tmp_path)
    assert info == {"runtime": "tflite-runtime", "tensorflow": False}
    expected = _reference(exported[quantize])
    # Different interpreter releases may round int8 kernels differently by one step at most, and the
    # runtime brings the probability back as 8-bit levels (steps of 1/255), so a float model's tiny
    # difference can tip one level too.
    step = 1 / 255
    for got, want in zip(probs, expected):
        assert np.abs(got - want).max() <= step + 1e-6
        assert ((got > 0.5) == (want > 0.5)).mean() >= 0.999
