"""How much of a model's int8 disagreement comes from quantizing its activations.

    python benchmarks/int8_error_source.py skinseg/shipped/skinseg-mobile.keras \
        skinseg/shipped/skinseg-mobile-int8.tflite --split val \
        --out benchmarks/results/int8_error_source_mobile.json

Converts the float model a second time with 16-bit activations and 8-bit weights (TFLite's
16x8 mode, calibrated on the same images as the int8 export; the Edge TPU cannot run it) and
verifies both files against the float model on one split. What the 16x8 file still loses is the
weights' share; what int8 adds on top is the activations'.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def convert_16x8(model_path: Path, out: Path) -> Path:
    """The 16x8 twin, through the exporter's own SavedModel conversion and calibration set."""
    from skinseg.export.tflite import calibration_set, convert
    from skinseg.keras_io import load_keras_model

    model = load_keras_model(model_path)
    images, _ = calibration_set(model_path, model.input_shape[1])
    out.write_bytes(convert(model, model_path, "int16x8", calibration=images))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path, help="the float .keras model")
    parser.add_argument("int8", type=Path, help="its full-integer twin")
    parser.add_argument("--split", default="val", help="Pratheepan split to verify on (select on val, not test)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from skinseg.verification import verify

    w16 = convert_16x8(args.model, Path(tempfile.mkdtemp(prefix="skinseg-16x8-")) / "model_16x8.tflite")
    result = {"model": str(args.model), "split": args.split}
    for kind, candidate in (("int8", args.int8), ("16x8", w16)):
        parity = verify(args.model, candidate, data_dir=args.data_dir, split=args.split)
        result[kind] = {"iou_drop": parity["iou_drop"], "pixel_agreement": parity["pixel_agreement"]}
        print(f"{kind}: IoU drop {parity['iou_drop']:+.4f}, pixel agreement {parity['pixel_agreement']:.2%}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
