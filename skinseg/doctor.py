"""``skinseg doctor``: what is installed and usable here, one line each, with what to do if not."""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import shutil
import sys
from dataclasses import dataclass


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _try_import(module: str) -> tuple[object | None, str]:
    try:
        return importlib.import_module(module), ""
    except Exception as exc:  # tflite-runtime under numpy 2 fails with AttributeError or ImportError
        return None, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _gpus(backend: str) -> str:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return f"{len(tf.config.list_physical_devices('GPU'))} GPU(s)"
        if backend == "jax":
            import jax

            return f"{sum(d.platform == 'gpu' for d in jax.devices())} GPU(s)"
        if backend == "torch":
            import torch

            return f"{torch.cuda.device_count()} GPU(s)"
    except Exception as exc:
        return f"GPU check failed ({type(exc).__name__})"
    return ""


def run_checks(check_gpus: bool = True) -> list[Check]:
    from . import __version__
    from .datasets import cache_root, candidate_dirs
    from .datasets.pratheepan import find_root
    from .runtime.builtin import EDGETPU_LIBRARY, edgetpu_available

    checks = [Check("python", sys.version_info >= (3, 10), f"{platform.python_version()} on {platform.machine()}"),
              Check("skinseg", True, __version__)]
    keras_version = _version("keras")
    checks.append(Check("keras", keras_version is not None,
                        keras_version or "not installed; pip install 'skinseg[train]' to train and export"))
    for backend, distribution, extra in (("tensorflow", "tensorflow", "train"), ("jax", "jax", "jax"),
                                         ("torch", "torch", "torch")):
        version = _version(distribution)
        if version is None:
            checks.append(Check(f"backend {backend}", False, f"not installed; pip install 'skinseg[{extra}]'"))
        else:
            detail = version + (f", {_gpus(backend)}" if check_gpus else "")
            checks.append(Check(f"backend {backend}", True, detail))
    for name, module, fix in (("runtime litert", "ai_edge_litert.interpreter", "pip install 'skinseg[edge]'"),
                              ("runtime tflite-runtime", "tflite_runtime.interpreter",
                               "pip install tflite-runtime 'numpy<2' (Python 3.11 and older)")):
        distribution = module.split(".")[0].replace("_", "-")
        version = _version(distribution)
        if version is None:
            checks.append(Check(name, False, f"not installed; {fix}"))
            continue
        loaded, error = _try_import(module)
        checks.append(Check(name, loaded is not None,
                            version if loaded is not None else f"{version} installed but unusable ({error}); {fix}"))
    delegate = edgetpu_available()
    checks.append(Check("edgetpu delegate", delegate,
                        f"{EDGETPU_LIBRARY} loaded" if delegate
                        else f"{EDGETPU_LIBRARY} not found; install libedgetpu1-std from the Coral repository"))
    compiler = shutil.which("edgetpu_compiler")
    checks.append(Check("edgetpu compiler", compiler is not None,
                        compiler or "not on PATH; install edgetpu-compiler (x86-64 Debian/Ubuntu) to compile"))
    opencv = _version("opencv-python-headless") or _version("opencv-python")
    checks.append(Check("opencv (resizing, camera)", opencv is not None,
                        opencv or "not installed; pip install opencv-python-headless (a dependency of skinseg)"))
    checks.append(Check("cache folder", True, str(cache_root())))
    found = next((d for d in candidate_dirs("pratheepan", None) if d.is_dir() and find_root(d)), None)
    checks.append(Check("pratheepan data", found is not None,
                        str(found) if found else "not found; it downloads on first use, or run "
                        "'skinseg datasets fetch pratheepan --from FILE'"))
    return checks
