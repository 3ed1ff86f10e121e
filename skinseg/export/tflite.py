"""TFLite export: float32, float16, dynamic-range and full-integer int8 with a calibration set.

Conversion goes through a SavedModel with a static batch-1 signature (Keras' own export), not
``TFLiteConverter.from_keras_model``, which does not support Keras 3. Only TFLite builtin ops
are allowed: a model that would need TF Select (Flex) ops is an error naming the ops.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np

from ..errors import SkinsegError, require
from ..files import atomic_write_bytes
from ..tflite_file import operators
from . import ExportResult
from .metadata import build_metadata, dequantize_hybrid_transpose_conv, embed_in_tflite, run_config

DEFAULT_CALIB_SAMPLES = 100
IO_TYPES = ("uint8", "int8")


def calibration_set(model_path: Path, img_size: int, samples: int | None = None, dataset: str | None = None,
                    split: str | None = None, data_dir: str | None = None,
                    progress: bool = False) -> tuple[list, dict]:
    """Images for int8 calibration, preprocessed exactly as at inference (as the float32 the
    converter's input takes); defaults to the training split of the model's own dataset (from the
    run's config.json)."""
    from ..datasets import load_dataset, parse_dataset_spec
    from ..images import read_image
    from ..runtime import preprocess

    config = run_config(model_path) or {}
    if dataset is None:
        dataset, spec_dir = parse_dataset_spec((config.get("datasets") or ["pratheepan"])[0])
        data_dir = data_dir or spec_dir or config.get("data_dir")
        scheme = config.get("split")
    else:
        scheme = None
    split = split or "train"
    chosen = load_dataset(dataset, data_dir, scheme=scheme).split(split)
    count = len(chosen) if samples is None else samples
    count = min(count, DEFAULT_CALIB_SAMPLES) if samples is None else count
    if count <= 0 or not chosen:
        raise SkinsegError(f"empty calibration set ({dataset}/{split}, {count} samples); int8 needs at least one image")
    if count > len(chosen):
        count = len(chosen)
    picked = chosen[:count]
    from tqdm.auto import tqdm

    size = (img_size, img_size)
    arrays = []
    for sample in tqdm(picked, desc="calibration images", unit="image", disable=not progress):
        arrays.append(preprocess(read_image(sample.image), size).astype(np.float32))
    info = {"dataset": dataset, "split": split, "samples": len(picked), "names": [s.name for s in picked]}
    return arrays, info


def _flex_ops(message: str) -> list[str]:
    found = re.findall(r"\btf\.(\w+)", message) + re.findall(r"Flex(\w+)", message)
    return sorted(set(found))


def convert(model, model_path: Path, quantize: str, io_type: str | None = None,
            calibration: list | None = None) -> bytes:
    """The .tflite bytes of a loaded Keras model for one quantization mode."""
    tf = require("tensorflow", "train")
    _, height, width, channels = model.input_shape
    with tempfile.TemporaryDirectory(prefix="skinseg-export-") as tmp:
        signature = [tf.TensorSpec([1, height, width, channels], tf.float32, name="image")]
        model.export(tmp, format="tf_saved_model", input_signature=signature, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "float16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif quantize == "dynamic":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        elif quantize in ("int8", "int16x8"):
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([image] for image in calibration)
            if quantize == "int8":
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
                converter.inference_input_type = getattr(tf, io_type or "uint8")
                converter.inference_output_type = getattr(tf, io_type or "uint8")
            else:
                # Not an export mode: LiteRT runs 16x8 graphs on reference kernels (~35x slower
                # than int8 here) and the Edge TPU not at all. benchmarks/int8_error_source.py
                # converts through it to split int8's error between weights and activations.
                converter.target_spec.supported_ops = [
                    tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        try:
            data = converter.convert()
        except Exception as exc:
            message = str(exc)
            flex = _flex_ops(message)
            if flex:
                raise SkinsegError(f"{model_path}: needs TF Select (Flex) ops {', '.join(flex)}, which skinseg "
                                   "never emits; replace those layers") from None
            first = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
            raise SkinsegError(f"{model_path}: TFLite conversion failed ({first[:300]})") from None
    return data


def check_builtin_only(path: Path) -> list[dict]:
    """The file's op list; a Flex or other custom op is an error."""
    ops = operators(path)
    custom = sorted({op["op"] for op in ops if op["custom"]})
    if custom:
        raise SkinsegError(f"{path}: contains custom/Flex ops {', '.join(custom)}; it would not run on plain LiteRT")
    return ops


def export_tflite(model_path: Path, out: Path, quantize: str = "none", progress: bool = False,
                  io_type: str | None = None, calib_samples: int | None = None, calib_dataset: str | None = None,
                  calib_split: str | None = None, calib_data_dir: str | None = None,
                  equalize: bool = True, bias_correction: bool = True, img_size: int | None = None, fmt: str = "tflite",
                  threshold: float | None = None, adapt: bool | None = None) -> ExportResult:
    from ..keras_io import at_input_size, load_keras_model

    if io_type is not None and io_type not in IO_TYPES:
        raise SkinsegError(f"unknown --io-type {io_type!r}; available: {', '.join(IO_TYPES)}")
    model = at_input_size(load_keras_model(model_path), img_size)
    calibration, calib_info = None, None
    if quantize == "int8":
        calibration, calib_info = calibration_set(model_path, model.input_shape[1], calib_samples, calib_dataset, calib_split,
                                                  calib_data_dir, progress=progress)
        calib_info["io_type"] = io_type or "uint8"
        if equalize:
            from .equalize import equalize_ranges

            # In place on this process's copy; the .keras file is untouched and stays the reference.
            calib_info["equalized"] = equalize_ranges(model, calibration)
    data = convert(model, model_path, quantize, io_type, calibration)
    if quantize == "int8" and bias_correction:
        from .bias_correction import correct_biases

        calib_info["bias_corrected"] = correct_biases(model, data, calibration)
        if calib_info["bias_corrected"]["layers"]:
            data = convert(model, model_path, quantize, io_type, calibration)
    notes = []
    if quantize == "dynamic":
        data, restored = dequantize_hybrid_transpose_conv(data)
        if restored:
            notes.append(f"{restored} TRANSPOSE_CONV weight tensors kept float32 so tflite-runtime 2.14 loads the file")
    # Check the converted bytes before anything reaches the destination.
    with tempfile.TemporaryDirectory(prefix="skinseg-check-") as tmp:
        probe = Path(tmp) / out.name
        probe.write_bytes(data)
        ops = check_builtin_only(probe)
        input_quant, output_quant = _io_quantization(probe)
    metadata = build_metadata(model_path, model, fmt, quantize, calib_info, threshold=threshold, adapt=adapt)
    metadata["input"]["quantization"], metadata["output"]["quantization"] = input_quant, output_quant
    metadata["notes"] = list(notes)
    data = embed_in_tflite(data, metadata)
    atomic_write_bytes(out, data)
    notes.insert(0, f"{len(ops)} ops, all TFLite builtins")
    if calib_info:
        notes.append(f"calibrated on {calib_info['samples']} images of {calib_info['dataset']}/{calib_info['split']}")
        equalized = calib_info.get("equalized")
        if equalized and equalized["channels_scaled"]:
            notes.append(f"ranges equalized after {equalized['pairs']} ReLUs: {equalized['channels_scaled']} of "
                         f"{equalized['channels']} channels scaled up (median x{equalized['median_scale']})")
        corrected = calib_info.get("bias_corrected")
        if corrected and corrected["layers"]:
            notes.append(f"biases corrected in {corrected['layers']} convolutions "
                         f"(mean shift {corrected['mean_abs_shift']:g})")
    return ExportResult(path=out, format=fmt, quantize=quantize, size_bytes=len(data), metadata=metadata, notes=notes)


def _io_quantization(path: Path) -> tuple[dict, dict]:
    """(input, output) dtype and quantization parameters, read with TensorFlow's interpreter."""
    require("tensorflow", "train")
    from ..runtime.tflite import tensorflow_interpreter

    interpreter = tensorflow_interpreter(model_path=str(path))
    result = []
    for detail in (interpreter.get_input_details()[0], interpreter.get_output_details()[0]):
        scale, zero_point = detail["quantization"]
        result.append({"dtype": np.dtype(detail["dtype"]).name, "scale": float(scale), "zero_point": int(zero_point)})
    return result[0], result[1]
