"""Export: every format and precision through the real converter, loaded by the real interpreter."""

import json

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from skinseg import SkinsegError
from skinseg.export import export_model
from skinseg.tflite_file import operators, read_metadata

from conftest import PRATHEEPAN, last_line, run_cli


@pytest.mark.parametrize("quantize", ["none", "float16", "dynamic", "int8"])
def test_each_tflite_file_loads_and_runs_in_litert(exported, quantize):
    interpreter = Interpreter(model_path=str(exported[quantize]))
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    assert list(inp["shape"]) == [1, 64, 64, 3]
    expected = np.uint8 if quantize == "int8" else np.float32
    assert inp["dtype"] == expected and out["dtype"] == expected
    interpreter.set_tensor(inp["index"], np.full(inp["shape"], 128, dtype=inp["dtype"]))
    interpreter.invoke()
    assert interpreter.get_tensor(out["index"]).shape == (1, 64, 64, 1)


@pytest.mark.parametrize("quantize", ["none", "float16", "dynamic", "int8"])
def test_no_flex_or_custom_ops_in_any_file(exported, quantize):
    ops = operators(exported[quantize])
    assert ops and not any(op["custom"] or op["op"].startswith("Flex") for op in ops)
    names = {op["op"] for op in ops}
    assert "CONV_2D" in names and "TRANSPOSE_CONV" in names


def test_int8_is_fully_integer(exported):
    interpreter = Interpreter(model_path=str(exported["int8"]))
    float_tensors = [t["name"] for t in interpreter.get_tensor_details() if t["dtype"] == np.float32]
    assert float_tensors == []
    assert {op["op"] for op in operators(exported["int8"])} <= {"QUANTIZE", "CONV_2D", "TRANSPOSE_CONV", "LOGISTIC"}


def test_metadata_is_embedded_and_readable_without_tensorflow(exported, tiny_run):
    meta = read_metadata(exported["int8"])
    assert meta["quantization"] == "int8" and meta["input"]["size"] == [64, 64]
    assert meta["input"]["quantization"]["dtype"] == "uint8"
    assert meta["output"]["threshold"] == 0.5
    assert meta["calibration"]["dataset"] == "pratheepan" and meta["calibration"]["split"] == "train"
    assert meta["calibration"]["samples"] == 8
    from skinseg.files import sha256_file

    assert meta["source"]["sha256"] == sha256_file(tiny_run / "best.keras")
    assert meta["training"]["arch"] == "segnet"
    assert read_metadata(exported["none"])["quantization"] == "none"


def test_savedmodel_has_serving_signature_and_metadata(exported):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(exported["savedmodel"]))
    assert "serving_default" in loaded.signatures
    meta = json.loads((exported["savedmodel"] / "skinseg.json").read_text())
    assert meta["format"] == "savedmodel"


def test_edgetpu_export_maps_every_segnet_op(tiny_run, tmp_path):
    result = run_cli("export", "-m", tiny_run / "best.keras", "--format", "edgetpu", "--calib-samples", "4",
                     "--calib-data-dir", PRATHEEPAN, "--out", tmp_path / "m.tflite", check=True)
    assert "Edge TPU: 20/20 ops mapped (100.0%)" in result.stdout
    assert "edgetpu_compiler not on PATH" in result.stdout
    report = json.loads((tmp_path / "m.edgetpu_report.json").read_text())
    assert report["mapped_percent"] == 100.0 and not report["problems"]
    assert all(row["runs_on"] == "edgetpu" for row in report["ops"])


def test_edgetpu_report_flags_a_float_model(exported):
    from skinseg.export.edgetpu import edgetpu_report

    report = edgetpu_report(exported["none"])
    assert report["mapped"] == 0 and any("not int8/uint8" in p for p in report["problems"])


def test_int8_io_type_int8(tiny_run, tmp_path):
    path = export_model(tiny_run / "best.keras", "tflite", tmp_path / "m.tflite", quantize="int8", io_type="int8",
                        calib_samples=2, calib_data_dir=str(PRATHEEPAN)).path
    assert Interpreter(model_path=str(path)).get_input_details()[0]["dtype"] == np.int8


def test_int8_export_equalizes_and_corrects_biases_by_default_records_both_and_each_can_be_off(tiny_run, tmp_path):
    common = ["-m", tiny_run / "best.keras", "--format", "tflite", "--quantize", "int8", "--calib-samples", "4",
              "--calib-data-dir", PRATHEEPAN]
    result = run_cli("export", *common, "--out", tmp_path / "default.tflite", check=True)
    assert "ranges equalized after" in result.stdout and "biases corrected in" in result.stdout
    calibration = read_metadata(tmp_path / "default.tflite")["calibration"]
    assert calibration["equalized"]["pairs"] > 0 and calibration["equalized"]["images"] == 4
    assert calibration["bias_corrected"]["layers"] > 0 and calibration["bias_corrected"]["images"] == 4
    for flag, note, key in (("--no-equalize", "ranges equalized", "equalized"),
                            ("--no-bias-correction", "biases corrected", "bias_corrected")):
        out = tmp_path / f"{key}.tflite"
        result = run_cli("export", *common, flag, "--out", out, check=True)
        assert note not in result.stdout and key not in read_metadata(out)["calibration"]


def test_16x8_conversion_has_int16_activations_and_tracks_the_float_model(tiny_run):
    """The benchmark-only 16x8 branch of convert(): 8-bit weights, 16-bit activations, float I/O."""
    from skinseg.export.tflite import calibration_set, convert
    from skinseg.keras_io import load_keras_model

    model = load_keras_model(tiny_run / "best.keras")
    images, _ = calibration_set(tiny_run / "best.keras", 64, samples=4, data_dir=str(PRATHEEPAN))
    interpreter = Interpreter(model_content=convert(model, tiny_run / "best.keras", "int16x8", calibration=images))
    interpreter.allocate_tensors()
    dtypes = {t["dtype"] for t in interpreter.get_tensor_details()}
    assert np.int16 in dtypes and np.int8 in dtypes
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    assert inp["dtype"] == np.float32 and out["dtype"] == np.float32
    interpreter.set_tensor(inp["index"], images[0])
    interpreter.invoke()
    expected = np.asarray(model.predict(images[0], verbose=0))
    assert np.abs(interpreter.get_tensor(out["index"]) - expected).max() < 0.05


@pytest.mark.parametrize("args,message", [
    (["--format", "onnx"], "unknown exporter 'onnx'; available: edgetpu, savedmodel, tflite"),
    (["--format", "tflite", "--quantize", "int4"], "no quantize mode 'int4'; available: none, float16, dynamic, int8"),
    (["--format", "savedmodel", "--calib-samples", "5"], "format 'savedmodel' does not accept --calib-samples"),
    (["--format", "tflite", "--quantize", "float16", "--io-type", "int8"], "--io-type only work with --quantize int8"),
    (["--format", "tflite", "--quantize", "dynamic", "--no-bias-correction"],
     "--bias-correction only work with --quantize int8"),
    (["--format", "tflite", "--quantize", "float16", "--no-equalize"], "--equalize only work with --quantize int8"),
    (["--format", "tflite", "--quantize", "int8", "--calib-samples", "0"], "empty calibration set"),
    (["--format", "tflite", "--quantize", "int8", "--io-type", "int16"], "unknown --io-type 'int16'"),
])
def test_bad_export_requests_fail_in_one_line_and_write_nothing(tiny_run, tmp_path, args, message):
    out = tmp_path / "out.tflite"
    result = run_cli("export", "-m", tiny_run / "best.keras", *args, "--out", out,
                     env_extra={"SKINSEG_DATA": str(PRATHEEPAN.parent)})
    assert result.returncode == 1
    assert message in last_line(result.stderr) and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_export_at_another_input_size_is_verified_against_the_network_at_that_size(tiny_run, tmp_path):
    """--img-size rebuilds the network with the same weights; verify rebuilds the .keras reference alike."""
    model = tmp_path / "best.keras"
    model.write_bytes((tiny_run / "best.keras").read_bytes())
    env = {"SKINSEG_DATA": str(PRATHEEPAN.parent)}
    result = run_cli("export", "-m", model, "--format", "tflite", "--img-size", "96", check=True, env_extra=env)
    out = tmp_path / "best_96.tflite"  # the size is in the default name, so it never replaces the model's own export
    assert "rebuilt at 96x96; best.keras is unchanged" in result.stdout
    assert read_metadata(out)["input"]["size"] == [96, 96]
    assert list(Interpreter(model_path=str(out)).get_input_details()[0]["shape"]) == [1, 96, 96, 3]
    run_cli("verify", "--reference", model, "--candidate", out, "--split", "val", "--json", tmp_path / "v.json",
            check=True, env_extra=env)
    parity = json.loads((tmp_path / "v.json").read_text())
    assert parity["reference"]["rebuilt_at"] == [96, 96]
    assert parity["pixel_agreement"] > 0.999 and abs(parity["iou_drop"]) < 0.002  # float32: the same function
    result = run_cli("export", "-m", model, "--format", "tflite", "--img-size", "72", "--out", tmp_path / "x.tflite")
    assert result.returncode == 1 and "at 72x72" in last_line(result.stderr) and "multiple of 32" in last_line(result.stderr)
    assert not (tmp_path / "x.tflite").exists()


def test_missing_or_truncated_model(tiny_run, tmp_path):
    result = run_cli("export", "-m", tmp_path / "nope.keras", "--format", "tflite")
    assert result.returncode == 1 and "model not found" in last_line(result.stderr)
    data = (tiny_run / "best.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 3])
    result = run_cli("export", "-m", tmp_path / "cut.keras", "--format", "tflite", "--out", tmp_path / "x.tflite")
    assert result.returncode == 1 and "cut.keras" in last_line(result.stderr)
    assert not (tmp_path / "x.tflite").exists()


def test_artifact_is_not_overwritten_without_force(exported, tiny_run):
    before = exported["none"].read_bytes()
    with pytest.raises(SkinsegError, match="already exists; use --force"):
        export_model(tiny_run / "best.keras", "tflite", exported["none"])
    assert exported["none"].read_bytes() == before


def test_truncated_tflite_is_refused_by_the_runtime(exported, tmp_path):
    data = exported["int8"].read_bytes()
    (tmp_path / "cut.tflite").write_bytes(data[: len(data) // 2])
    result = run_cli("predict", "-m", tmp_path / "cut.tflite", PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto" /
                     "sarah.jpg", "--out", tmp_path / "o")
    assert result.returncode == 1 and "cut.tflite" in last_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_a_model_needing_flex_ops_is_an_error_naming_the_op(tmp_path):
    import keras

    @keras.saving.register_keras_serializable(package="skinseg_tests")
    class InverseErf(keras.layers.Layer):
        def call(self, x):
            return keras.ops.erfinv(x / 256.0)

    inputs = keras.Input((16, 16, 3))
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid")(InverseErf()(inputs))
    keras.Model(inputs, outputs).save(tmp_path / "flex.keras")
    with pytest.raises(SkinsegError, match="Flex.*Erfinv|Erfinv.*Flex"):
        export_model(tmp_path / "flex.keras", "tflite", tmp_path / "flex.tflite")
    assert not (tmp_path / "flex.tflite").exists()
