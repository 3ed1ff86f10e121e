"""Reading what a .tflite file says about itself, without TensorFlow.

Only the ``flatbuffers`` package is needed: the skinseg metadata (a JSON document in the model's
``metadata`` list, under the name ``skinseg``) and the operator list are read straight from the
file, so a Raspberry Pi with tflite-runtime can configure a model from its own file.
"""

from __future__ import annotations

import functools
import json
import os
import struct
from pathlib import Path

import flatbuffers
from flatbuffers import number_types as N

from .errors import SkinsegError

METADATA_NAME = "skinseg"

# Field slots of the TFLite schema tables we read (schema.fbs).
_MODEL_OPERATOR_CODES, _MODEL_SUBGRAPHS, _MODEL_BUFFERS, _MODEL_METADATA = 1, 2, 4, 6
_OPCODE_DEPRECATED_BUILTIN, _OPCODE_CUSTOM, _OPCODE_VERSION, _OPCODE_BUILTIN = 0, 1, 2, 3
_SUBGRAPH_OPERATORS = 3
_OPERATOR_OPCODE, _OPERATOR_INPUTS, _OPERATOR_OUTPUTS = 0, 1, 2
_METADATA_NAME, _METADATA_BUFFER = 0, 1
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2


def _field(table: flatbuffers.table.Table, slot: int) -> int:
    return table.Offset(4 + 2 * slot)


def _tables(table: flatbuffers.table.Table, slot: int) -> list[flatbuffers.table.Table]:
    o = _field(table, slot)
    if not o:
        return []
    start = table.Vector(o)
    return [flatbuffers.table.Table(table.Bytes, table.Indirect(start + 4 * i)) for i in range(table.VectorLen(o))]


def _ints(table: flatbuffers.table.Table, slot: int) -> list[int]:
    o = _field(table, slot)
    if not o:
        return []
    start = table.Vector(o)
    return [table.Get(N.Int32Flags, start + 4 * i) for i in range(table.VectorLen(o))]


def _string(table, slot) -> str | None:
    o = _field(table, slot)
    return table.String(o + table.Pos).decode("utf-8") if o else None


def _scalar(table, slot, flags, default=0):
    o = _field(table, slot)
    return table.Get(flags, o + table.Pos) if o else default


def read_model(path: str | os.PathLike) -> flatbuffers.table.Table:
    """The root Model table of a .tflite file; a truncated or foreign file is an error."""
    path = Path(path)
    try:
        data = bytearray(path.read_bytes())
    except OSError as exc:
        raise SkinsegError(f"{path}: cannot read model ({exc.strerror})") from None
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise SkinsegError(f"{path}: not a TFLite model (no TFL3 identifier); export it again")
    root = flatbuffers.encode.Get(flatbuffers.packer.uoffset, data, 0)
    if root >= len(data):
        raise IndexError("root table outside the file")
    return flatbuffers.table.Table(data, root)


def _corrupt_is_an_error(read):
    """Offsets that point past the end (a truncated file) become one clear SkinsegError."""

    @functools.wraps(read)
    def wrapper(path, *args, **kwargs):
        try:
            return read(path, *args, **kwargs)
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            raise SkinsegError(f"{path}: truncated or corrupt TFLite model ({type(exc).__name__}); "
                               "copy or export it again") from None

    return wrapper


@_corrupt_is_an_error
def read_metadata(path: str | os.PathLike) -> dict | None:
    """The skinseg metadata embedded in a .tflite file, or None if it carries none."""
    model = read_model(path)
    buffers = _tables(model, _MODEL_BUFFERS)
    for entry in _tables(model, _MODEL_METADATA):
        if _string(entry, _METADATA_NAME) != METADATA_NAME:
            continue
        buffer = buffers[_scalar(entry, _METADATA_BUFFER, N.Uint32Flags)]
        o = _field(buffer, _BUFFER_DATA)
        if o:
            start = buffer.Vector(o)
            raw = bytes(buffer.Bytes[start : start + buffer.VectorLen(o)])
        else:  # models over 2 GB keep buffers after the flatbuffer, by offset
            offset = _scalar(buffer, _BUFFER_OFFSET, N.Uint64Flags)
            raw = bytes(model.Bytes[offset : offset + _scalar(buffer, _BUFFER_SIZE, N.Uint64Flags)])
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError:
            raise SkinsegError(f"{path}: skinseg metadata is corrupt; export the model again") from None
    return None


def _builtin_names() -> dict[int, str]:
    for module in ("ai_edge_litert.schema_py_generated", "tensorflow.lite.python.schema_py_generated"):
        try:
            schema = __import__(module, fromlist=["BuiltinOperator"])
        except ImportError:
            continue
        ops = schema.BuiltinOperator
        return {v: k for k, v in vars(ops).items() if not k.startswith("_") and isinstance(v, int)}
    return {}


@_corrupt_is_an_error
def operators(path: str | os.PathLike) -> list[dict]:
    """Every operator of every subgraph, in order: ``{"op": name, "version": n, "custom": bool,
    "inputs": [tensor index, ...], "outputs": [...]}`` (-1 marks an omitted optional input).

    Custom ops (Flex ops among them, named ``Flex...``) keep their custom code as name.
    """
    model = read_model(path)
    names = _builtin_names()
    codes = []
    for code in _tables(model, _MODEL_OPERATOR_CODES):
        builtin = max(_scalar(code, _OPCODE_DEPRECATED_BUILTIN, N.Int8Flags),
                      _scalar(code, _OPCODE_BUILTIN, N.Int32Flags))
        custom = _string(code, _OPCODE_CUSTOM)
        name = custom if custom else names.get(builtin, f"BUILTIN_{builtin}")
        codes.append({"op": name, "version": _scalar(code, _OPCODE_VERSION, N.Int32Flags, 1), "custom": bool(custom)})
    result = []
    for subgraph in _tables(model, _MODEL_SUBGRAPHS):
        for op in _tables(subgraph, _SUBGRAPH_OPERATORS):
            result.append({**codes[_scalar(op, _OPERATOR_OPCODE, N.Uint32Flags)],
                           "inputs": _ints(op, _OPERATOR_INPUTS), "outputs": _ints(op, _OPERATOR_OUTPUTS)})
    return result
