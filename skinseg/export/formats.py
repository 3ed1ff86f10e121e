"""The built-in export table: SavedModel, TFLite (four precisions) and Edge TPU."""

from ..hookspecs import hookimpl
from . import QUANTIZE_MODES, ExportFormat
from .edgetpu import export_edgetpu
from .savedmodel import export_savedmodel
from .tflite import export_tflite

CALIBRATION = frozenset({"io_type", "calib_samples", "calib_dataset", "calib_split", "calib_data_dir", "equalize",
                         "bias_correction"})
RESIZE = frozenset({"img_size"})
SETTINGS = frozenset({"threshold", "adapt"})  # inference settings written into the file

FORMATS = (
    ExportFormat("savedmodel", "_saved_model", RESIZE | SETTINGS, ("none",), "tensorflow", export_savedmodel,
                 "TensorFlow SavedModel (serving_default)", is_folder=True),
    ExportFormat("tflite", ".tflite", CALIBRATION | RESIZE | SETTINGS, QUANTIZE_MODES, "litert, tflite-runtime, tensorflow",
                 export_tflite, "TFLite flatbuffer: float32, float16, dynamic or full-integer int8"),
    ExportFormat("edgetpu", "_edgetpu_ready.tflite", CALIBRATION | RESIZE | SETTINGS, ("int8",), "edgetpu (after edgetpu_compiler), litert",
                 export_edgetpu, "int8 TFLite ready for the Coral Edge TPU compiler, with an op-mapping report"),
)


@hookimpl
def register_exporters(register):
    for fmt in FORMATS:
        register(fmt)
