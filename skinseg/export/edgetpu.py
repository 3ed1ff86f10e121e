"""Edge TPU export: the full-integer model in the shape the Coral compiler maps, plus a report.

The report checks each op of the int8 graph against the published Edge TPU operation table
(coral.ai, "TensorFlow models on the Edge TPU", supported operations) and the compiler's
general requirements (int8/uint8 tensors, static shapes, batch 1). The compiler maps ops in
graph order until the first one it cannot; that op and everything after it run on the CPU.
Where ``edgetpu_compiler`` is on the PATH it is run and its log kept.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import require
from ..files import atomic_write_json, atomic_write_text
from . import ExportResult
from .tflite import export_tflite

# TFLite builtin op name -> the table's note (empty where the table gives no limitation).
EDGETPU_OPS = {
    "ADD": "", "AVERAGE_POOL_2D": "no fused activation", "CONCATENATION": "no fused activation",
    "CONV_2D": "same dilation in x and y", "DEPTHWISE_CONV_2D": "same dilation in x and y",
    "EXPAND_DIMS": "", "FULLY_CONNECTED": "default weight format", "L2_NORMALIZATION": "",
    "LOGISTIC": "", "LSTM": "unidirectional only", "MAXIMUM": "", "MAX_POOL_2D": "no fused activation",
    "MEAN": "no reduction over batch", "MINIMUM": "", "MUL": "", "PACK": "not along batch",
    "PAD": "not along batch", "PRELU": "1-D alpha", "QUANTIZE": "", "REDUCE_MAX": "not over batch",
    "REDUCE_MIN": "not over batch", "RELU": "", "RELU6": "", "RELU_N1_TO_1": "",
    "RESHAPE": "large reshapes may not map", "RESIZE_BILINEAR": "3-D tensors; may fall back for precision",
    "RESIZE_NEAREST_NEIGHBOR": "3-D tensors", "RSQRT": "", "SLICE": "", "SOFTMAX": "1-D, at most 16000 entries",
    "SPACE_TO_DEPTH": "", "SPLIT": "not along batch", "SQUEEZE": "", "STRIDED_SLICE": "",
    "SUB": "", "SUM": "not over batch", "SQUARED_DIFFERENCE": "", "TANH": "", "TRANSPOSE": "",
    "TRANSPOSE_CONV": "", "HARD_SWISH": "compiler 16 and newer",
}


def edgetpu_report(path: Path) -> dict:
    """Op by op: would the Edge TPU run it, or would it fall back to the CPU, and why."""
    require("tensorflow", "train")
    from ..runtime.tflite import tensorflow_interpreter
    from ..tflite_file import operators

    interpreter = tensorflow_interpreter(model_path=str(path))
    tensors = interpreter.get_tensor_details()
    problems = []
    for t in tensors:
        if any(int(d) < 0 for d in t.get("shape_signature", t["shape"])):
            problems.append(f"tensor {t['name']} has a dynamic shape")
    for detail in (interpreter.get_input_details()[0], interpreter.get_output_details()[0]):
        if detail["dtype"].__name__ not in ("uint8", "int8"):
            problems.append(f"{detail['name']} is {detail['dtype'].__name__}, not int8/uint8")
        if int(detail["shape"][0]) != 1:
            problems.append(f"{detail['name']} has batch {detail['shape'][0]}, not 1")
    rows, on_cpu_from = [], None
    for index, op in enumerate(operators(path)):
        in_table = op["op"] in EDGETPU_OPS
        if on_cpu_from is None and (not in_table or problems):
            on_cpu_from = index
        if on_cpu_from is None:
            where, note = "edgetpu", EDGETPU_OPS[op["op"]]
        elif not in_table:
            where, note = "cpu", "not in the Edge TPU operation table"
        elif problems:
            where, note = "cpu", "the model breaks the compiler's requirements (see problems)"
        else:
            where, note = "cpu", "after the first unmapped op"
        rows.append({"index": index, "op": op["op"], "version": op["version"], "runs_on": where, "note": note})
    mapped = sum(r["runs_on"] == "edgetpu" for r in rows)
    return {"ops": rows, "mapped": mapped, "total": len(rows),
            "mapped_percent": round(100.0 * mapped / max(1, len(rows)), 1), "problems": problems}


def format_report(report: dict) -> str:
    lines = [f"Edge TPU: {report['mapped']}/{report['total']} ops mapped ({report['mapped_percent']}%)"]
    lines += [f"  problem: {p}" for p in report["problems"]]
    counts: dict[tuple, int] = {}
    for row in report["ops"]:
        key = (row["op"], row["runs_on"], row["note"])
        counts[key] = counts.get(key, 0) + 1
    for (op, where, note), n in counts.items():
        lines.append(f"  {op:<24} x{n:<3} {where:<8} {note}")
    return "\n".join(lines)


def export_edgetpu(model_path: Path, out: Path, quantize: str = "int8", progress: bool = False,
                   io_type: str | None = None, **calibration) -> ExportResult:
    result = export_tflite(model_path, out, "int8", progress, io_type=io_type or "uint8", fmt="edgetpu",
                           **calibration)
    report = edgetpu_report(out)
    atomic_write_json(out.with_suffix(".edgetpu_report.json"), report)
    notes = [f"Edge TPU op table: {report['mapped']}/{report['total']} ops map ({report['mapped_percent']}%)"]
    compiler = shutil.which("edgetpu_compiler")
    if compiler:
        run = subprocess.run([compiler, "-s", "-o", str(out.parent), str(out)], capture_output=True, text=True)
        atomic_write_text(out.with_suffix(".edgetpu_compiler.log"), run.stdout + run.stderr)
        compiled = out.with_name(f"{out.stem}_edgetpu.tflite")
        notes.append(f"edgetpu_compiler exit {run.returncode}; compiled {compiled if compiled.exists() else 'nothing'}")
    else:
        notes.append("edgetpu_compiler not on PATH (it runs on x86-64 Debian/Ubuntu); "
                     f"compile later with: edgetpu_compiler {out.name}")
    result.report = report
    result.notes += notes
    return result
